import Foundation

/// `madoguchi COMMAND [OPTIONS]`. Exit codes: 0 success, 1 failure, 64 usage error.
let commands: [any Command.Type] = [
    ServeCommand.self, MigrateCommand.self, BackupCommand.self, RestoreCommand.self, VersionCommand.self,
]

@MainActor
func overview() -> String {
    var text = "USAGE: madoguchi COMMAND [OPTIONS]\n\nCOMMANDS:\n"
    for command in commands {
        text += "  " + command.name.padding(toLength: 10, withPad: " ", startingAt: 0) + command.summary + "\n"
    }
    text += "  help      Show help for a command: madoguchi help COMMAND\n"
    text += "\nEvery command accepts --help."
    return text
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("madoguchi: " + message + "\n").utf8))
}

@MainActor
func main() -> ExitCode {
    let arguments = Array(CommandLine.arguments.dropFirst())
    guard let name = arguments.first else {
        printError("missing command")
        print(overview())
        return .usage
    }
    if name == "help" || name == "--help" || name == "-h" {
        guard arguments.count > 1 else {
            print(overview())
            return .success
        }
        guard let command = commands.first(where: { $0.name == arguments[1] }) else {
            printError("unknown command '\(arguments[1])'")
            return .usage
        }
        print(command.usage)
        return .success
    }
    guard let command = commands.first(where: { $0.name == name }) else {
        printError("unknown command '\(name)'")
        print(overview())
        return .usage
    }
    do {
        let options = try CommandLineOptions(
            Array(arguments.dropFirst()), valued: command.valuedOptions, booleans: command.booleanOptions)
        if options.wantsHelp {
            print(command.usage)
            return .success
        }
        return try command.run(options, environment: ProcessInfo.processInfo.environment)
    } catch let error as CommandLineOptions.UsageError {
        printError(error.message)
        FileHandle.standardError.write(Data((command.usage + "\n").utf8))
        return .usage
    } catch {
        printError("\(error)")
        return .failure
    }
}

exit(main().rawValue)
