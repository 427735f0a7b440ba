/// JSON written by hand where Foundation's JSONSerialization would cost more than the work
/// around it: an audit line per request, a stem cell's environment on a cold start.
public enum JSONText {
    /// Appends `text` to `output` as a JSON string literal, quotes included.
    public static func appendQuoted(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output += "\\u00" + String(scalar.value >> 4, radix: 16) + String(scalar.value & 0xF, radix: 16)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// A JSON object of string members, in key order.
    public static func object(_ members: [String: String]) -> String {
        var output = "{"
        for (index, key) in members.keys.sorted().enumerated() {
            if index > 0 { output += "," }
            appendQuoted(key, to: &output)
            output += ":"
            appendQuoted(members[key] ?? "", to: &output)
        }
        return output + "}"
    }
}
