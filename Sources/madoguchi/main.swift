import App
import Foundation
import HTTP
import ServiceKit

/// `madoguchi COMMAND [SUBCOMMAND] [OPTIONS]`. Exit codes: 0 success, 1 failure, 64 usage error.
/// The core's commands, then every module's (`ServiceModule.commands`, gathered by App). A group
/// (`staff add`, `audit verify`) is a command whose name has a space, found by matching the first two arguments.
let commands: [any Command.Type] =
    [
        ServeCommand.self, MigrateCommand.self, BackupCommand.self, RestoreCommand.self, VersionCommand.self,
        AuditVerifyCommand.self, AuditExportCommand.self, DemoDataCommand.self,
    ] + Madoguchi.moduleCommands

/// Finds the command named by the leading arguments: two words for a group's subcommand, else one.
@MainActor
func resolve(_ arguments: [String]) -> (command: any Command.Type, rest: [String])? {
    if arguments.count >= 2, let command = commands.first(where: { $0.name == "\(arguments[0]) \(arguments[1])" }) {
        return (command, Array(arguments.dropFirst(2)))
    }
    if let first = arguments.first, let command = commands.first(where: { $0.name == first }) {
        return (command, Array(arguments.dropFirst()))
    }
    return nil
}

/// The subcommands of a group such as `staff`, for its help text.
@MainActor
func groupMembers(_ group: String) -> [any Command.Type] {
    commands.filter { $0.name.hasPrefix(group + " ") }
}

@MainActor
func overview() -> String {
    var text = "USAGE: madoguchi COMMAND [OPTIONS]\n\nCOMMANDS:\n"
    for command in commands {
        // At least two spaces after the name: `kpi pull-line-insight` is longer than the column.
        let column = max(18, command.name.count + 2)
        text += "  " + command.name.padding(toLength: column, withPad: " ", startingAt: 0) + command.summary + "\n"
    }
    text += "  help              Show help for a command: madoguchi help COMMAND" + "\n"
    text += "\nEvery command accepts --help."
    return text
}

func groupOverview(_ group: String, _ members: [any Command.Type]) -> String {
    var text = "USAGE: madoguchi \(group) SUBCOMMAND [OPTIONS]\n\nSUBCOMMANDS:\n"
    for command in members {
        text += "  " + command.name.padding(toLength: 18, withPad: " ", startingAt: 0) + command.summary + "\n"
    }
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
        if let (command, _) = resolve(Array(arguments.dropFirst())) {
            print(command.usage)
            return .success
        }
        let members = groupMembers(arguments[1])
        guard !members.isEmpty else {
            printError("unknown command '\(arguments[1])'")
            return .usage
        }
        print(groupOverview(arguments[1], members))
        return .success
    }
    guard let (command, rest) = resolve(arguments) else {
        let members = groupMembers(name)
        if !members.isEmpty {
            let asksForHelp = arguments.count == 2 && ["--help", "-h", "help"].contains(arguments[1])
            if !asksForHelp {
                printError(
                    arguments.count > 1 ? "unknown \(name) command '\(arguments[1])'" : "missing \(name) command")
            }
            print(groupOverview(name, members))
            return asksForHelp ? .success : .usage
        }
        printError("unknown command '\(name)'")
        print(overview())
        return .usage
    }
    do {
        let options = try CommandLineOptions(rest, valued: command.valuedOptions, booleans: command.booleanOptions)
        if options.wantsHelp {
            print(command.usage)
            return .success
        }
        return try command.run(options, environment: ProcessInfo.processInfo.environment)
    } catch let error as CommandLineOptions.UsageError {
        printError(error.message)
        FileHandle.standardError.write(Data((command.usage + "\n").utf8))
        return .usage
    } catch let error as ConfigurationError {
        printError(error.message)
        return .usage
    } catch {
        printError("\(error)")
        return .failure
    }
}

let status = main()
// Buffered log lines (the last requests, "stopped") must reach stderr before the process ends.
StandardErrorWriter.shared.flush()
exit(status.rawValue)
