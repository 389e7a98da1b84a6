using System.Runtime.InteropServices;
using SmbRoot.Core.Netlink;
using SmbRoot.Core.Guard;
using SmbRoot.Core.Kernel;
using SmbRoot.Core.Plan;
using SmbRoot.Interop;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.Tests.Interop;

/// <summary>
/// The constants and struct layouts the init hard-codes, checked against the real C headers by
/// compiling a small C program (build.sh test installs clang and linux-libc-dev).
/// </summary>
public class KernelHeaderTests
{
    private const string Program = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <fcntl.h>
        #include <sys/mount.h>
        #include <sys/reboot.h>
        #include <sys/syscall.h>
        #include <sys/socket.h>
        #include <sys/stat.h>
        #include <sys/wait.h>
        #include <signal.h>
        #include <spawn.h>
        #include <poll.h>
        #include <sched.h>
        #include <sys/prctl.h>
        #include <sys/un.h>
        #include <dirent.h>
        #include <errno.h>
        #include <linux/if_ether.h>
        #include <linux/if_packet.h>
        #include <linux/loop.h>
        #include <linux/rtnetlink.h>
        #include <linux/netlink.h>
        #define P(name, value) printf("%s=%lld\n", name, (long long)(value))
        int main(void) {
            P("sizeof(loop_config)", sizeof(struct loop_config));
            P("offsetof(loop_config.info)", offsetof(struct loop_config, info));
            P("offsetof(loop_info64.lo_flags)", offsetof(struct loop_info64, lo_flags));
            P("offsetof(loop_info64.lo_file_name)", offsetof(struct loop_info64, lo_file_name));
            P("LOOP_CONFIGURE", LOOP_CONFIGURE); P("LOOP_CLR_FD", LOOP_CLR_FD); P("LOOP_CTL_GET_FREE", LOOP_CTL_GET_FREE);
            P("LO_FLAGS_READ_ONLY", LO_FLAGS_READ_ONLY); P("LO_FLAGS_DIRECT_IO", LO_FLAGS_DIRECT_IO); P("O_DIRECT", O_DIRECT);
            P("O_DIRECTORY", O_DIRECTORY); P("O_NOFOLLOW", O_NOFOLLOW); P("O_CLOEXEC", O_CLOEXEC); P("O_PATH", O_PATH); P("O_NONBLOCK", O_NONBLOCK);
            P("MS_RDONLY", MS_RDONLY); P("MS_BIND", MS_BIND); P("MS_MOVE", MS_MOVE); P("MS_REC", MS_REC); P("MS_PRIVATE", MS_PRIVATE);
            P("MS_NOATIME", MS_NOATIME); P("MS_RELATIME", MS_RELATIME); P("MS_LAZYTIME", MS_LAZYTIME); P("MS_STRICTATIME", MS_STRICTATIME);
            P("MNT_DETACH", MNT_DETACH);
            P("RB_AUTOBOOT", RB_AUTOBOOT); P("RB_POWER_OFF", RB_POWER_OFF); P("RB_HALT_SYSTEM", (int)RB_HALT_SYSTEM); // reboot(2) takes an int
            P("RB_KEXEC", RB_KEXEC);
            P("SYS_finit_module", SYS_finit_module); P("SYS_kexec_file_load", SYS_kexec_file_load);
            P("RTM_NEWLINK", RTM_NEWLINK); P("RTM_NEWADDR", RTM_NEWADDR); P("RTM_DELADDR", RTM_DELADDR); P("RTM_NEWROUTE", RTM_NEWROUTE);
            P("NLMSG_ERROR", NLMSG_ERROR); P("NLM_F_CREATE", NLM_F_CREATE); P("NLM_F_REPLACE", NLM_F_REPLACE);
            P("sizeof(nlmsghdr)", sizeof(struct nlmsghdr));
            P("F_OFD_SETLK", F_OFD_SETLK); P("F_RDLCK", F_RDLCK); P("F_WRLCK", F_WRLCK);
            P("sizeof(flock)", sizeof(struct flock)); P("offsetof(flock.l_start)", offsetof(struct flock, l_start));
            P("offsetof(flock.l_pid)", offsetof(struct flock, l_pid));
            P("MS_NOSUID", MS_NOSUID); P("MS_NODEV", MS_NODEV); P("MS_NOEXEC", MS_NOEXEC); P("MS_REMOUNT", MS_REMOUNT);
            P("AT_FDCWD", AT_FDCWD); P("AT_REMOVEDIR", AT_REMOVEDIR);
            P("S_IFMT", S_IFMT); P("S_IFREG", S_IFREG); P("S_IFIFO", S_IFIFO); P("S_IXUSR|S_IXGRP|S_IXOTH", S_IXUSR | S_IXGRP | S_IXOTH);
            P("SYS_pivot_root", SYS_pivot_root); P("SYS_rt_sigaction", SYS_rt_sigaction); P("SYS_rt_sigprocmask", SYS_rt_sigprocmask);
            P("POSIX_SPAWN_SETSIGDEF", POSIX_SPAWN_SETSIGDEF); P("POSIX_SPAWN_SETSIGMASK", POSIX_SPAWN_SETSIGMASK);
            P("sizeof(posix_spawnattr_t)", sizeof(posix_spawnattr_t)); P("sizeof(sigset_t)", sizeof(sigset_t)); P("SIG_SETMASK", SIG_SETMASK);
            P("_NSIG-1", _NSIG - 1);
            P("SIGHUP", SIGHUP); P("SIGINT", SIGINT); P("SIGKILL", SIGKILL); P("SIGUSR1", SIGUSR1); P("SIGUSR2", SIGUSR2);
            P("SIGTERM", SIGTERM); P("SIGPWR", SIGPWR);
            P("SIGHUP(machine)", SIGHUP); P("SIGINT(machine)", SIGINT); P("SIGTERM(machine)", SIGTERM); P("SIGPWR(machine)", SIGPWR);
            P("CLONE_NEWNS", CLONE_NEWNS); P("CLONE_NEWPID", CLONE_NEWPID);
            P("PR_SET_THP_DISABLE", PR_SET_THP_DISABLE); P("PR_GET_THP_DISABLE", PR_GET_THP_DISABLE);
            P("POLLIN|POLLERR|POLLHUP", POLLIN | POLLERR | POLLHUP); P("POLLOUT", POLLOUT);
            P("AF_INET", AF_INET); P("AF_UNIX", AF_UNIX); P("AF_NETLINK", AF_NETLINK); P("AF_PACKET", AF_PACKET);
            P("SOCK_STREAM", SOCK_STREAM); P("SOCK_DGRAM", SOCK_DGRAM); P("SOCK_RAW", SOCK_RAW); P("SOCK_SEQPACKET", SOCK_SEQPACKET);
            P("SOCK_NONBLOCK", SOCK_NONBLOCK); P("SOCK_CLOEXEC", SOCK_CLOEXEC);
            P("SOL_SOCKET", SOL_SOCKET); P("SO_ERROR", SO_ERROR); P("SO_RCVTIMEO", SO_RCVTIMEO); P("SO_PEERCRED", SO_PEERCRED);
            P("NETLINK_ROUTE", NETLINK_ROUTE); P("ETH_P_IP", ETH_P_IP);
            P("SIGCHLD", SIGCHLD); P("SIGSTOP", SIGSTOP);
            P("AT_EMPTY_PATH", AT_EMPTY_PATH); P("AT_STATX_FORCE_SYNC", AT_STATX_FORCE_SYNC);
            P("STATX_INO", STATX_INO); P("STATX_SIZE", STATX_SIZE); P("STATX_MTIME", STATX_MTIME);
            P("sizeof(statx)", sizeof(struct statx)); P("offsetof(statx.stx_ino)", offsetof(struct statx, stx_ino));
            P("offsetof(statx.stx_size)", offsetof(struct statx, stx_size)); P("offsetof(statx.stx_mtime)", offsetof(struct statx, stx_mtime));
            P("offsetof(dirent64.d_reclen)", offsetof(struct dirent64, d_reclen)); P("offsetof(dirent64.d_name)", offsetof(struct dirent64, d_name));
            P("sizeof(ucred)", sizeof(struct ucred)); P("offsetof(ucred.uid)", offsetof(struct ucred, uid)); P("offsetof(ucred.gid)", offsetof(struct ucred, gid));
            P("sizeof(sockaddr_un)", sizeof(struct sockaddr_un)); P("offsetof(sockaddr_un.sun_path)", offsetof(struct sockaddr_un, sun_path));
        ERRNO
            return 0;
        }
        """;

    /// <summary>
    /// What only the kernel's own headers define: they clash with glibc's (sigset_t, the mount flags),
    /// so they are a program of their own. The kernel's struct sigaction is the one rt_sigaction(2)
    /// takes (arch/x86/include/uapi/asm/signal.h, with an 8-byte mask). ext4's ioctls are not in the
    /// installed uapi headers; fs/ext4/ext4.h defines EXT4_IOC_RESIZE_FS as _IOW('f', 16, __u64).
    /// </summary>
    private const string KernelProgram = """
        #include <stdio.h>
        #include <stddef.h>
        #include <linux/types.h>
        #include <linux/ioctl.h>
        #include <linux/fs.h>
        #include <linux/watchdog.h>
        #include <asm/signal.h>
        #define P(name, value) printf("%s=%lld\n", name, (long long)(value))
        int main(void) {
            P("BLKRASET", BLKRASET); P("WDIOC_SETTIMEOUT", WDIOC_SETTIMEOUT); P("EXT4_IOC_RESIZE_FS", _IOW('f', 16, __u64));
            P("sizeof(kernel sigaction)", sizeof(struct sigaction)); P("offsetof(sigaction.sa_flags)", offsetof(struct sigaction, sa_flags));
            P("offsetof(sigaction.sa_restorer)", offsetof(struct sigaction, sa_restorer)); P("offsetof(sigaction.sa_mask)", offsetof(struct sigaction, sa_mask));
            return 0;
        }
        """;

    /// <summary>The errno values the init names (<see cref="Errno"/>), each printed by the C program under its own name.</summary>
    private static IEnumerable<System.Reflection.FieldInfo> ErrnoNames() =>
        typeof(Errno).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static).Where(f => f.IsLiteral);

    private static Dictionary<string, long> HeaderValues() =>
        Compiled(Program.Replace("ERRNO", string.Concat(ErrnoNames().Select(f => $"    P(\"errno {f.Name}\", {f.Name});\n"))))
            .Concat(Compiled(KernelProgram)).ToDictionary();

    private static Dictionary<string, long> Compiled(string program)
    {
        string dir = Directory.CreateTempSubdirectory("smbroot-headers-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "check.c"), program);
            string compiler = new[] { "/usr/bin/clang", "/usr/bin/cc", "/usr/bin/gcc" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("no C compiler (./build.sh test installs clang)");
            Shell.Run(compiler, "-o", Path.Combine(dir, "check"), Path.Combine(dir, "check.c"));
            return Shell.Run(Path.Combine(dir, "check")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public unsafe void Match_the_C_headers()
    {
        var c = HeaderValues();
        var ours = new Dictionary<string, long>
        {
            ["sizeof(loop_config)"] = sizeof(Loop.LoopConfig),
            ["offsetof(loop_config.info)"] = Marshal.OffsetOf<Loop.LoopConfig>(nameof(Loop.LoopConfig.Info)),
            ["offsetof(loop_info64.lo_flags)"] = Marshal.OffsetOf<Loop.LoopInfo64>(nameof(Loop.LoopInfo64.Flags)),
            ["offsetof(loop_info64.lo_file_name)"] = Marshal.OffsetOf<Loop.LoopInfo64>(nameof(Loop.LoopInfo64.FileName)),
            ["LOOP_CONFIGURE"] = Loop.LOOP_CONFIGURE, ["LOOP_CLR_FD"] = Loop.LOOP_CLR_FD, ["LOOP_CTL_GET_FREE"] = Loop.LOOP_CTL_GET_FREE,
            ["LO_FLAGS_READ_ONLY"] = Loop.LO_FLAGS_READ_ONLY, ["LO_FLAGS_DIRECT_IO"] = Loop.LO_FLAGS_DIRECT_IO, ["O_DIRECT"] = Sys.O_DIRECT,
            ["O_DIRECTORY"] = Sys.O_DIRECTORY, ["O_NOFOLLOW"] = Sys.O_NOFOLLOW, ["O_CLOEXEC"] = Sys.O_CLOEXEC, ["O_PATH"] = Sys.O_PATH, ["O_NONBLOCK"] = Sys.O_NONBLOCK,
            ["MS_RDONLY"] = (long)Sys.MS_RDONLY, ["MS_BIND"] = (long)Sys.MS_BIND, ["MS_MOVE"] = (long)Sys.MS_MOVE, ["MS_REC"] = (long)Sys.MS_REC, ["MS_PRIVATE"] = (long)Sys.MS_PRIVATE,
            ["MS_NOATIME"] = (long)MountOptions.MS_NOATIME, ["MS_RELATIME"] = (long)MountOptions.MS_RELATIME,
            ["MS_LAZYTIME"] = (long)MountOptions.MS_LAZYTIME, ["MS_STRICTATIME"] = (long)MountOptions.MS_STRICTATIME,
            ["MNT_DETACH"] = Sys.MNT_DETACH,
            ["RB_AUTOBOOT"] = Sys.RB_AUTOBOOT, ["RB_POWER_OFF"] = Sys.RB_POWER_OFF, ["RB_HALT_SYSTEM"] = Sys.RB_HALT_SYSTEM, ["RB_KEXEC"] = Sys.RB_KEXEC,
            ["SYS_finit_module"] = Sys.SYS_finit_module, ["SYS_kexec_file_load"] = Sys.SYS_kexec_file_load,
            ["RTM_NEWLINK"] = RouteMessages.RTM_NEWLINK, ["RTM_NEWADDR"] = RouteMessages.RTM_NEWADDR,
            ["RTM_DELADDR"] = RouteMessages.RTM_DELADDR, ["RTM_NEWROUTE"] = RouteMessages.RTM_NEWROUTE,
            ["NLMSG_ERROR"] = RouteMessages.NLMSG_ERROR, ["NLM_F_CREATE"] = RouteMessages.NLM_F_CREATE, ["NLM_F_REPLACE"] = RouteMessages.NLM_F_REPLACE,
            ["sizeof(nlmsghdr)"] = RouteMessages.HeaderSize,
            ["F_OFD_SETLK"] = ImageLock.F_OFD_SETLK, ["F_RDLCK"] = ImageLock.F_RDLCK, ["F_WRLCK"] = ImageLock.F_WRLCK,
            ["sizeof(flock)"] = sizeof(ImageLock.Flock), ["offsetof(flock.l_start)"] = Marshal.OffsetOf<ImageLock.Flock>(nameof(ImageLock.Flock.Start)),
            ["offsetof(flock.l_pid)"] = Marshal.OffsetOf<ImageLock.Flock>(nameof(ImageLock.Flock.Pid)),
            ["MS_NOSUID"] = (long)Sys.MS_NOSUID, ["MS_NODEV"] = (long)Sys.MS_NODEV, ["MS_NOEXEC"] = (long)Sys.MS_NOEXEC, ["MS_REMOUNT"] = (long)Sys.MS_REMOUNT,
            ["AT_FDCWD"] = Sys.AT_FDCWD, ["AT_REMOVEDIR"] = Sys.AT_REMOVEDIR,
            ["S_IFMT"] = Sys.S_IFMT, ["S_IFREG"] = Sys.S_IFREG, ["S_IFIFO"] = Sys.S_IFIFO, ["S_IXUSR|S_IXGRP|S_IXOTH"] = Sys.AnyExecuteBit,
            ["SYS_pivot_root"] = Sys.SYS_pivot_root, ["SYS_rt_sigaction"] = Sys.SYS_rt_sigaction, ["SYS_rt_sigprocmask"] = Sys.SYS_rt_sigprocmask,
            ["POSIX_SPAWN_SETSIGDEF"] = Sys.POSIX_SPAWN_SETSIGDEF, ["POSIX_SPAWN_SETSIGMASK"] = Sys.POSIX_SPAWN_SETSIGMASK,
            ["sizeof(posix_spawnattr_t)"] = Sys.SpawnAttributeBytes, ["sizeof(sigset_t)"] = Sys.SigsetBytes, ["SIG_SETMASK"] = Sys.SIG_SETMASK,
            ["_NSIG-1"] = Sys.LastSignal,
            ["SIGHUP"] = Sys.SIGHUP, ["SIGINT"] = Sys.SIGINT, ["SIGKILL"] = Sys.SIGKILL, ["SIGUSR1"] = Sys.SIGUSR1, ["SIGUSR2"] = Sys.SIGUSR2,
            ["SIGTERM"] = Sys.SIGTERM, ["SIGPWR"] = Sys.SIGPWR,
            ["CLONE_NEWNS"] = Sys.CLONE_NEWNS, ["CLONE_NEWPID"] = Sys.CLONE_NEWPID,
            ["PR_SET_THP_DISABLE"] = Sys.PR_SET_THP_DISABLE, ["PR_GET_THP_DISABLE"] = Sys.PR_GET_THP_DISABLE,
            ["POLLIN|POLLERR|POLLHUP"] = Sys.ReadableEvents, ["POLLOUT"] = Sockets.POLLOUT,
            ["AF_INET"] = Sockets.AF_INET, ["AF_UNIX"] = ControlSocket.AF_UNIX, ["AF_NETLINK"] = Sockets.AF_NETLINK, ["AF_PACKET"] = PacketSocket.AF_PACKET,
            ["SOCK_STREAM"] = Sockets.SOCK_STREAM, ["SOCK_DGRAM"] = Sockets.SOCK_DGRAM, ["SOCK_RAW"] = Sockets.SOCK_RAW, ["SOCK_SEQPACKET"] = ControlSocket.SOCK_SEQPACKET,
            ["SOCK_NONBLOCK"] = Sockets.SOCK_NONBLOCK, ["SOCK_CLOEXEC"] = Sockets.SOCK_CLOEXEC,
            ["SOL_SOCKET"] = Sockets.SOL_SOCKET, ["SO_ERROR"] = Sockets.SO_ERROR, ["SO_RCVTIMEO"] = Sockets.SO_RCVTIMEO, ["SO_PEERCRED"] = ControlSocket.SO_PEERCRED,
            ["NETLINK_ROUTE"] = Sockets.NETLINK_ROUTE, ["ETH_P_IP"] = PacketSocket.ETH_P_IP,
            ["SIGCHLD"] = Sys.SIGCHLD, ["SIGSTOP"] = Sys.SIGSTOP,
            ["AT_EMPTY_PATH"] = ServerFile.AT_EMPTY_PATH, ["AT_STATX_FORCE_SYNC"] = ServerFile.AT_STATX_FORCE_SYNC,
            ["STATX_INO"] = ServerFile.STATX_INO, ["STATX_SIZE"] = ServerFile.STATX_SIZE, ["STATX_MTIME"] = ServerFile.STATX_MTIME,
            ["sizeof(statx)"] = ServerFile.StatxSize, ["offsetof(statx.stx_ino)"] = ServerFile.StatxInoOffset,
            ["offsetof(statx.stx_size)"] = ServerFile.StatxSizeOffset, ["offsetof(statx.stx_mtime)"] = ServerFile.StatxMtimeOffset,
            ["offsetof(dirent64.d_reclen)"] = ServerFile.DirentLengthOffset, ["offsetof(dirent64.d_name)"] = ServerFile.DirentNameOffset,
            ["sizeof(ucred)"] = sizeof(ControlSocket.PeerCredentials),
            ["offsetof(ucred.uid)"] = Marshal.OffsetOf<ControlSocket.PeerCredentials>(nameof(ControlSocket.PeerCredentials.Uid)),
            ["offsetof(ucred.gid)"] = Marshal.OffsetOf<ControlSocket.PeerCredentials>(nameof(ControlSocket.PeerCredentials.Gid)),
            ["sizeof(sockaddr_un)"] = sizeof(ControlSocket.UnixAddress),
            ["offsetof(sockaddr_un.sun_path)"] = Marshal.OffsetOf<ControlSocket.UnixAddress>(nameof(ControlSocket.UnixAddress.Path)),
            ["BLKRASET"] = Loop.BLKRASET, ["WDIOC_SETTIMEOUT"] = Sys.WDIOC_SETTIMEOUT, ["EXT4_IOC_RESIZE_FS"] = Sys.EXT4_IOC_RESIZE_FS,
            ["sizeof(kernel sigaction)"] = sizeof(Sys.KernelSigaction),
            ["offsetof(sigaction.sa_flags)"] = Marshal.OffsetOf<Sys.KernelSigaction>(nameof(Sys.KernelSigaction.Flags)),
            ["offsetof(sigaction.sa_restorer)"] = Marshal.OffsetOf<Sys.KernelSigaction>(nameof(Sys.KernelSigaction.Restorer)),
            ["offsetof(sigaction.sa_mask)"] = Marshal.OffsetOf<Sys.KernelSigaction>(nameof(Sys.KernelSigaction.Mask)),
            ["SIGHUP(machine)"] = GuardMachine.SIGHUP, ["SIGINT(machine)"] = GuardMachine.SIGINT, ["SIGTERM(machine)"] = GuardMachine.SIGTERM, ["SIGPWR(machine)"] = GuardMachine.SIGPWR,
        };
        foreach (var field in ErrnoNames()) ours["errno " + field.Name] = (int)field.GetRawConstantValue()!;
        Assert.Equal(c.Keys.Order(), ours.Keys.Order());
        foreach (var (name, value) in c) Assert.True(value == ours[name], $"{name}: C says {value}, the init uses {ours[name]}");
    }
}
