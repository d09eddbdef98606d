import Foundation
import Security

/// The phone store's 256-bit SQLCipher key (docs/security.md C26, ADR 0005): generated once with
/// `SecRandomCopyBytes` on first run and kept only in the Keychain as a generic password that is readable
/// after the first unlock since boot (the background refresh task syncs while the phone is locked) and on
/// this device only (`…ThisDeviceOnly`: never in a backup, iCloud Keychain or a device transfer).
///
/// Keychain calls block: call off the main actor (as `ShellContext.openDefault` and `SharedCore` are).
public enum StoreKeychain {
    static let service = "cn.linkage.store"
    static let account = "store-key.v1"

    /// Why the key could not be read or saved (an `OSStatus`); the store is left as it is.
    public struct Failure: Error, CustomStringConvertible {
        public let status: OSStatus
        public var description: String { "keychain status \(status)" }
    }

    /// The store key: read from the Keychain, or created and saved on first run.
    public static func storeKey() throws -> Data {
        if let existing = try read() { return existing }
        var bytes = [UInt8](repeating: 0, count: 32)
        let random = SecRandomCopyBytes(kSecRandomDefault, bytes.count, &bytes)
        guard random == errSecSuccess else { throw Failure(status: random) }
        let key = Data(bytes)
        for i in bytes.indices { bytes[i] = 0 }
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecAttrSynchronizable as String: false,
            kSecValueData as String: key,
        ]
        let status = SecItemAdd(add as CFDictionary, nil)
        if status == errSecDuplicateItem, let raced = try read() { return raced }
        guard status == errSecSuccess else { throw Failure(status: status) }
        return key
    }

    /// The saved key, nil when there is none yet. Any other failure (locked since boot: `errSecInteractionNotAllowed`)
    /// throws and never leads to a new key, so a passing failure cannot cost the data.
    private static func read() throws -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data, data.count == 32 else {
            throw Failure(status: status == errSecSuccess ? errSecDecode : status)
        }
        return data
    }
}
