#if canImport(Glibc)
import Glibc
#endif
import Capture

/// `-Z USER`: gives up root for good once the capture is open, as tcpdump does:
/// supplementary groups, then the group, then the user, and checks that root
/// cannot be had back.
public func dropPrivileges(to user: String) throws(CaptureError) {
    guard let entry = getpwnam(user) else {
        throw CaptureError(.cannotOpen, "-Z \(user): no such user")
    }
    let uid = entry.pointee.pw_uid
    let gid = entry.pointee.pw_gid
    guard initgroups(user, gid) == 0 || setgroups(0, nil) == 0 else {
        throw CaptureError(.cannotOpen, "-Z \(user): cannot set the supplementary groups: \(String(cString: strerror(errno)))")
    }
    guard setgid(gid) == 0 else {
        throw CaptureError(.cannotOpen, "-Z \(user): cannot change group: \(String(cString: strerror(errno)))")
    }
    guard setuid(uid) == 0 else {
        throw CaptureError(.cannotOpen, "-Z \(user): cannot change user: \(String(cString: strerror(errno)))")
    }
    if uid != 0, setuid(0) == 0 {
        throw CaptureError(.cannotOpen, "-Z \(user): root privileges could be regained; refusing to go on")
    }
}
