// Imported by a stem cell before it waits for its function, so that import() has run once
// (see warmUp in handler-loader.mjs). Never a function's handler.
export const handler = async () => null;
