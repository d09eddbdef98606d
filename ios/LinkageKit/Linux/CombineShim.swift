// Only for scripts/check-swift.sh on a platform without Combine (Linux): the two Combine names the view models
// use, so `swiftc -typecheck` can check LinkageKit there. Never part of the package (Package.swift does not
// list this folder); on Apple platforms Combine itself is used.
#if !canImport(Combine)
public protocol ObservableObject: AnyObject {}

@propertyWrapper
public struct Published<Value> {
    public var wrappedValue: Value
    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
}
#endif
