import Foundation

#if canImport(Glibc)
    import Glibc
#endif

let usage = """
    usage: swiftlet <command> [options]

    Server:
      serve [--data-dir DIR] [--listen HOST:PORT]   run the whole platform on this node
            [--runtimes-dir DIR] [--idle-timeout SECONDS] [--account-concurrency N]
            [--sandbox none|bubblewrap] [--sandbox-bind HOST[:SANDBOX][,...]]
            [--log-retention-days N] [--log-max-events N] [--async-retry-delay SECONDS]
            [--execution-credential-seconds SECONDS] [--outbound-network none|slirp4netns]
            [--memory-budget-mb MB] [--max-concurrent-starts N] [--stem-cells N] [--loop-spin-us US]

    Client (talk to a server at --endpoint URL or $SWIFTLET_ENDPOINT, default http://127.0.0.1:9000):
      deploy DIR --name NAME --runtime RUNTIME --handler HANDLER [--memory MB] [--timeout S]
      invoke NAME [--payload JSON]
      logs NAME [--follow]
      ls
      rm NAME
      bench [--requests N] [--cold-starts N] [--clients N] [--json FILE] [--plot FILE.svg]
            [--native-bootstrap FILE] [--serve [--serve-args "ARGS"]]
                                                   measure warm and cold invoke latency, and throughput
      bench --async [--events N] [--clients N]     measure durable Event acceptance and delivery delay
      bench --burst N [--burst-seconds S]          N concurrent S-second invocations of a new function
                                                   (--serve: against a server the bench starts and stops)
    """

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

let words = Array(CommandLine.arguments.dropFirst())
guard let command = words.first else {
    printError(usage)
    exit(2)
}

do {
    let rest = words.dropFirst()
    switch command {
    case "serve":
        try await Serve.run(Arguments(rest))
    case "deploy", "invoke", "logs", "ls", "rm":
        exit(try ClientCommands.run(command, Arguments(rest, flagNames: ["follow"])))
    case "bench":
        exit(try Bench.run(Arguments(rest, flagNames: ["async", "serve"])))
    case "help", "--help", "-h":
        print(usage)
    default:
        printError("swiftlet: unknown command '\(command)'\n\n\(usage)")
        exit(2)
    }
} catch let error as UsageError {
    printError("swiftlet \(command): \(error)")
    exit(2)
} catch {
    printError("swiftlet \(command): \(error)")
    exit(1)
}
