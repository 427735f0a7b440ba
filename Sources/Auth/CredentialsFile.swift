/// The AWS shared credentials file (`~/.aws/credentials`): INI sections named by
/// profile, each with `aws_access_key_id`, `aws_secret_access_key` and, for
/// temporary credentials, `aws_session_token`.
public struct CredentialsFile: Sendable {
    /// Each profile's keys and values, as written.
    public private(set) var profiles: [String: [String: String]] = [:]

    /// Parses `text`; lines that are neither a `[section]` nor `key = value` are ignored, as the SDKs do.
    public init(parsing text: String) {
        var section: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") {
                continue
            }
            if line.hasPrefix("["), line.hasSuffix("]") {
                var name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                // The config file names profiles `[profile NAME]`; accept that form too.
                if name.hasPrefix("profile ") {
                    name = name.dropFirst("profile ".count).trimmingCharacters(in: .whitespaces)
                }
                section = name
                profiles[name, default: [:]] = profiles[name] ?? [:]
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let section, parts.count == 2 else { continue }
            profiles[section, default: [:]][parts[0].lowercased()] = parts[1]
        }
    }

    /// The credentials of `profile`, or nil when it lacks a key id or secret.
    public func credentials(profile: String = "default") -> Credentials? {
        guard let values = profiles[profile], let key = values["aws_access_key_id"], !key.isEmpty,
            let secret = values["aws_secret_access_key"], !secret.isEmpty
        else { return nil }
        return Credentials(accessKeyId: key, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }
}
