// Loaded by a stem cell before it waits for its function, so that require() has run once
// (see warmUp in handler-loader.mjs). Never a function's handler.
exports.handler = async () => null;
