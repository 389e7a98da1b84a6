using SmbRoot.Core.Kernel;
using SmbRoot.Core.Plan;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;
using SmbRoot.Resources;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 5: mount the share under /run/initramfs, with mount.cifs's options built by hand and the
/// password from a file; for a read-write image or a layer, mount it again without leases for the holder records.
/// </summary>
public static class ShareStep
{
    public static ShareMount Run(BootContext context, RootNetwork network)
    {
        var plan = context.Plan;
        var root = plan.Root;
        var credentials = ReadCredentials(context);
        var address = Reach(context, network);
        string options;
        try
        {
            options = CifsOptions.Build(root, address, credentials, plan.CifsExtraOptions, plan.ShareReadOnly, plan.Integrity);
        }
        catch (PlanException e)
        {
            throw new BootException(e.Message, $"the credentials file {plan.CredentialsPath}", permanent: true);
        }
        Sys.MakeDirectory(BootContext.ShareMountPoint, Sys.Mode0700);
        context.Log.Say($"share: mounting {root.Unc} on {BootContext.ShareMountPoint}");
        context.Log.Debug($"share: options {CifsOptions.Redact(options)}");
        try
        {
            Sys.Mount(root.Unc, BootContext.ShareMountPoint, "cifs", plan.ShareReadOnly ? Sys.MS_RDONLY : 0, options);
        }
        catch (SysException e)
        {
            string user = root.User ?? credentials.UserName ?? "guest";
            throw e.Errno switch
            {
                Errno.EACCES or Errno.EPERM or Errno.EKEYREJECTED or Errno.ENOKEY => new BootException(
                    $"the server {address} refused the login as '{user}' for {root.Unc}: {Errno.Describe(e.Errno)}",
                    $"the username, password and domain in {plan.CredentialsPath}, and that '{user}' may use share '{root.Share}'", inner: e),
                Errno.ENOENT or Errno.ENXIO => new BootException(
                    $"the server has no share or directory {root.Unc}: {Errno.Describe(e.Errno)}",
                    $"the share name '{root.Share}' and the directory in root= (smbclient -L {address} lists the shares)", inner: e),
                Errno.EOPNOTSUPP or Errno.EINVAL => new BootException(
                    $"mounting {root.Unc} was refused: {Errno.Describe(e.Errno)}" +
                        (plan.Integrity == Integrity.Off ? "" : $"; with rd.cifs.integrity={plan.Integrity.Name()} the server must {(plan.Integrity == Integrity.Seal ? "encrypt (SMB3)" : "sign")} every message"),
                    "the SMB dialect (vers=), rd.cifs.integrity= (never off outside a lab) and rd.cifs.opts; dmesg shows the cifs client's reason", inner: e),
                Errno.ENODEV => new BootException("the kernel has no cifs filesystem: " + e.Message, "that the cifs module is in the initramfs", permanent: true, inner: e),
                _ => new BootException($"mounting {root.Unc} failed: {Errno.Describe(e.Errno)}",
                    "that the server is up and answering SMB; dmesg shows the cifs client's reason", inner: e),
            };
        }
        var share = new ShareMount(root.Unc, BootContext.ShareMountPoint, address);
        bool holderRecords = (root.IsImage && !plan.ImageReadOnly) || plan.Overlay?.File is not null;
        return holderRecords ? MountRecords(share, options) : share;
    }

    /// <summary>
    /// The share again, without leases, for the holder records of a read-write image or a layer
    /// (<see cref="Fencing.HolderClaim"/>).
    /// Samba (4.15 and later) disconnects a client that does not acknowledge a lease break within a
    /// few retransmission timeouts (source3/smbd/smb2_server.c, smbd_smb2_check_ack_queue). Another
    /// machine's read of a record the holder holds a lease on is such a break: a holder cut off for a
    /// few seconds would lose its session, and the writes in flight to its root fail with EIO (ext4
    /// goes read-only). Without a lease no break is sent. The cifs client gives a mount with other
    /// lease options a tree connection of its own (fs/cifs/connect.c, match_tcon) on the same
    /// session and TCP connection; the image stays on the mount with leases, which its speed needs.
    /// </summary>
    /// <summary>
    /// The server's address that answers on the SMB port: root='s, or each address DNS gave in
    /// RFC 6724's order (a global IPv6 address before IPv4) until one connects. Each but the last
    /// gets 2 s; a refusal or an unreachable network moves on at once.
    /// </summary>
    private static System.Net.IPAddress Reach(BootContext context, RootNetwork network)
    {
        var root = context.Plan.Root;
        var candidates = root.ServerAddress is { } given ? [WithScope(given, root.ServerScope, network)]
            : Resolver.Resolve(root.Server, network.DnsServers, network.Domain, network.Record.V4 is not null, network.Record.V6 is not null);
        if (root.ServerAddress is null)
        {
            context.Log.Say($"share: {root.Server} is {candidates[0]}" + (candidates.Count > 1 ? $" (also {string.Join(", ", candidates.Skip(1))})" : ""));
        }
        SysException? first = null;
        for (int i = 0; i < candidates.Count; i++)
        {
            try
            {
                Sockets.ProbeTcp(candidates[i], root.Port, TimeSpan.FromSeconds(i < candidates.Count - 1 ? 2 : 5));
                if (i > 0) context.Log.Say($"share: {Sockets.Endpoint(candidates[0], root.Port)} did not answer ({first!.Message}); using {candidates[i]}");
                return candidates[i];
            }
            catch (SysException e)
            {
                first ??= e;
            }
        }
        var address = candidates[0];
        throw new BootException($"cannot reach the SMB server {string.Join(" or ", candidates)} port {root.Port}: {Errno.Describe(first!.Errno)}",
            first.Errno == Errno.ECONNREFUSED
                ? $"that smbd is running on {address} and listens on port {root.Port}"
                : $"the server address in root=, the gateway in ip=, the cabling, and any firewall between here and {address}", inner: first);
    }

    /// <summary>
    /// A link-local server address with its interface as the kernel wants it, an index: the one
    /// root= names (%eth0 or %2), else the root's interface.
    /// </summary>
    private static System.Net.IPAddress WithScope(System.Net.IPAddress address, string? scope, RootNetwork network)
    {
        if (!address.IsIPv6LinkLocal) return address;
        string name = scope ?? network.Interface;
        long index = scope is not null && scope.All(char.IsAsciiDigit) ? long.Parse(scope, System.Globalization.CultureInfo.InvariantCulture)
            : File.Exists($"/sys/class/net/{name}/ifindex") ? Interfaces.Index(name)
            : throw new BootException($"root=: the server's scope %{scope} names no interface here", $"the interface names: {string.Join(", ", Interfaces.All())}", permanent: true);
        return new System.Net.IPAddress(address.GetAddressBytes(), index);
    }

    private static ShareMount MountRecords(ShareMount share, string options)
    {
        try
        {
            Sys.MakeDirectory(BootContext.RecordMountPoint, Sys.Mode0700);
            Sys.Mount(share.Unc, BootContext.RecordMountPoint, "cifs", 0, options + ",nolease");
            return new ShareMount(share.Unc, share.MountPoint, share.ServerAddress, BootContext.RecordMountPoint);
        }
        catch (SysException e)
        {
            share.Release(new Deadline(TimeSpan.FromSeconds(10)));
            throw new BootException($"mounting {share.Unc} again without leases (nolease), for the holder records, failed: {Errno.Describe(e.Errno)}",
                "dmesg shows the cifs client's reason; the share itself mounted", inner: e);
        }
    }

    private static Credentials ReadCredentials(BootContext context)
    {
        string path = context.Plan.CredentialsPath;
        if (!File.Exists(path))
        {
            if (path != BootPlan.DefaultCredentialsPath)
            {
                throw new BootException($"rd.cifs.credentials={path}: no such file in the initramfs",
                    "build the initramfs with --credentials FILE, or fix the path", permanent: true);
            }
            if (context.Plan.Root.User is not null)
            {
                context.Log.Warn($"no credentials file {path}: logging in as '{context.Plan.Root.User}' with an empty password");
            }
            return Credentials.None;
        }
        var mode = (uint)File.GetUnixFileMode(path);
        if ((mode & 0x3F) != 0) context.Log.Warn($"{path} is readable by group or others; it should be mode 0600");
        try
        {
            return Credentials.Parse(File.ReadAllText(path), path);
        }
        catch (PlanException e)
        {
            throw new BootException(e.Message, $"the format of {path}: username=, password=, domain= lines (mount.cifs(8))", permanent: true);
        }
    }
}
