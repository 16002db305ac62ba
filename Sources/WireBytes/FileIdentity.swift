#if canImport(Glibc)
import Glibc
#endif

extension PathName {
    /// Whether this name still leads to the open file `descriptor` (the same device
    /// and inode): false once the file was renamed away, removed or replaced.
    public func leads(to descriptor: Int32) -> Bool {
        var opened = stat(), named = stat()
        guard fstat(descriptor, &opened) == 0, withCString({ stat($0, &named) }) == 0 else { return false }
        return opened.st_ino == named.st_ino && opened.st_dev == named.st_dev
    }
}

/// Whether the open file `descriptor` has lost every name: removed while written,
/// its data goes with the last descriptor. (A file only renamed keeps a name.)
public func hasNoName(_ descriptor: Int32) -> Bool {
    var opened = stat()
    return fstat(descriptor, &opened) == 0 && opened.st_nlink == 0
}
