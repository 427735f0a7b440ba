/// The runtimes Swiftlet runs, and how each one's first process is started.
public enum RuntimeCatalog {
    /// Runtime identifiers that can be deployed today.
    public static let supported: Set<String> = [
        "python3.11", "nodejs20.x", "java17", "provided.al2023", "provided.al2",
    ]

    /// Identifiers AWS has deprecated: refused at create and update, as AWS does.
    public static let deprecated: Set<String> = [
        "python2.7", "python3.6", "python3.7", "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10",
        "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "dotnetcore1.0",
        "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "java8", "ruby2.5", "ruby2.7", "go1.x",
        "provided",
    ]

    /// True for runtimes whose entry point is the zip's own `bootstrap`.
    public static func usesCustomBootstrap(_ runtime: String) -> Bool {
        runtime.hasPrefix("provided")
    }

    /// The executable that starts an environment of `runtime`.
    static func entryPoint(runtime: String, codeDirectory: String, runtimesDirectory: String) -> String {
        if usesCustomBootstrap(runtime) {
            return codeDirectory + "/bootstrap"
        }
        return runtimesDirectory + "/" + languageDirectory(runtime) + "/bootstrap"
    }

    /// The directory of `runtime`'s runtime client (LAMBDA_RUNTIME_DIR).
    static func runtimeDirectory(runtime: String, runtimesDirectory: String) -> String {
        usesCustomBootstrap(runtime) ? "/var/runtime" : runtimesDirectory + "/" + languageDirectory(runtime)
    }

    private static func languageDirectory(_ runtime: String) -> String {
        String(runtime.prefix { $0.isLetter })
    }
}
