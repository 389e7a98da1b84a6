using System.Net;
using System.Text;
using SmbRoot.Core.Cifs;
using SmbRoot.Core.Control;
using SmbRoot.Core.Dhcp;
using SmbRoot.Core.Dns;
using SmbRoot.Core.Fencing;
using SmbRoot.Core.Filesystems;
using SmbRoot.Core.Images;
using SmbRoot.Core.Guard;
using SmbRoot.Core.Kernel;
using SmbRoot.Core.Modules;
using SmbRoot.Core.Netlink;
using SmbRoot.Core.Overlay;
using SmbRoot.Core.Plan;
using SmbRoot.Core.Shutdown;
using SmbRoot.Core.State;

namespace SmbRoot.Lab.Fuzzing;

/// <summary>
/// Every parser in SmbRoot.Core that reads what someone else wrote (the command line, files in
/// the initramfs and in /proc, the kernel's and the network's replies), with realistic seeds.
/// PlanException and FormatException are the declared "bad input" of the parsers that have one;
/// the rest must never throw.
/// </summary>
public static class CoreParsers
{
    private static readonly byte[] Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    private static readonly IPAddress Server = IPAddress.Parse("192.168.77.1");

    private const string CommandLine =
        "console=ttyS0 root=cifs://smbroot@192.168.77.1:445/boot/dir%20x/root.img ip=192.168.77.11::192.168.77.1:255.255.255.0:guest1:eth0:off " +
        "rootfstype=ext4 rootflags=noatime rd.cifs.opts=vers=3.0,seal rd.retry=30 rd.fence.deadline=20 BOOTIF=01-52-54-00-12-34-56 init=/sbin/init -- single";

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        FuzzTarget.Text("KernelCommandLine.Parse", t => KernelCommandLine.Parse(t), null, CommandLine, "a=\"b c\" d -- e"),
        FuzzTarget.Text("BootPlan.Parse", t => BootPlan.Parse(KernelCommandLine.Parse(t)).Describe(), typeof(PlanException), CommandLine,
            "root=cifs://s/b/ ip=dhcp rd.shell rd.break=pre-mount smbroot.mode=guard rd.cifs.integrity=off",
            "root=cifs://s/b/golden.img ip=dhcp rd.overlay=tmpfs:size=25%"),
        FuzzTarget.Text("ImagePointer.Resolve", t => ImagePointer.Resolve("golden/current", Encoding.UTF8.GetBytes(t)), typeof(FormatException),
            "debian-12-20261124.img\n", "v2.img"),
        FuzzTarget.Text("OverlayLayer.Parse", t => OverlayLayer.Parse(t).Describe(), typeof(PlanException), "tmpfs", "tmpfs:size=512M", "tmpfs:size=50%",
            "cifs://server/share/clients/{mac}-{hostname}.img"),
        FuzzTarget.Text("LayerStamp.Parse", t => LayerStamp.Parse(t).RefusalOver(LayerStamp.Parse(t)), typeof(FormatException),
            "image=golden/v1.img\nfile_id=4711\nsize=1073741824\nmodified=2026-11-24T10:00:00.1234567+00:00\n",
            "image=golden/v1.img\nfile_id=4711\nsize=1073745920\nmodified=2026-11-24T10:00:00.1234567+00:00\ncontent_bytes=1073741824\n" +
            "content_sha256=" + new string('a', 64) + "\ncontent_published=2026-12-07T12:00:00.0000000+00:00\n"),
        FuzzTarget.Binary("ContentStamp.Find", b => ContentStamp.Find(8192 + ContentStamp.Size, b.Concat(new byte[ContentStamp.Size]).Take(ContentStamp.Size).ToArray()), typeof(FormatException),
            new ContentStamp(8192, new string('c', 64), DateTimeOffset.UnixEpoch).ToBytes()),
        FuzzTarget.Binary("LayerTemplate.Unpack", b => LayerTemplate.Unpack(b), typeof(FormatException),
            LayerTemplate.Pack([.. new byte[] { 1 }, .. new byte[2 * LayerTemplate.BlockSize - 1]])),
        FuzzTarget.Text("CifsRoot.Parse", t => CifsRoot.Parse(t).ToString(), typeof(PlanException),
            "cifs://DOM\\user@server.example:445/share/a/b%2Fc/root.img", "smb://10.0.2.2/boot/", "cifs://[::1]/x/y", "cifs://[fe80::1%25eth0]:445/x/y.img"),
        FuzzTarget.Text("CifsRoot.Shown", t => CifsRoot.Shown(t), null, "cifs://user:S3cret@server/share/x.img", "://a@b"),
        FuzzTarget.Text("CifsOptions.ParseExtra", t => CifsOptions.ParseExtra(t), typeof(PlanException), "vers=3.0,seal,cache=none", "actimeo=1,rsize=65536"),
        FuzzTarget.Text("CifsOptions.Redact", t => CifsOptions.Redact(t), null, "username=u,password=p,domain=d,vers=3.1.1", "user=xpassword=y,pass=z"),
        FuzzTarget.Text("NetworkConfig.Parse", t => NetworkConfig.Parse(t).ToString(), typeof(PlanException),
            "10.0.0.9::10.0.0.1:255.255.255.0:host:eth0:off:10.0.0.2:10.0.0.3", "eth1:dhcp", "dhcp", ":::24::eth0:on",
            "[2001:db8::5]::[fe80::1]:64:node7:eth0:off:[2001:db8::53]", "eth0:dhcp,auto6", "either6"),
        FuzzTarget.Text("NetworkConfig.ParseBootInterface", t => NetworkConfig.ParseBootInterface(t), typeof(PlanException), "01-52-54-00-12-34-56"),
        FuzzTarget.Text("NetworkConfig.ParseDottedDecimal", t => NetworkConfig.ParseDottedDecimal(t), null, "192.168.077.1", "8.8.8.8"),
        FuzzTarget.Text("MountOptions.Parse", t => MountOptions.Parse(t, readOnly: false), typeof(PlanException), "noatime,nodev,inode64,data=ordered"),
        FuzzTarget.Text("Credentials.Parse", t => Credentials.Parse(t, "/etc/smbroot/credentials"), typeof(PlanException),
            "username=smbroot\npassword=s3cret, with a comma\ndomain=WORKGROUP\n", "user=u\npass=p\n# comment\n"),
        FuzzTarget.Text("FinalStageArguments.Parse", t => FinalStageArguments.Parse(t.Split(' ')), typeof(FormatException),
            "halt --log-level=info --log-target=kmsg --timeout=90000000us --exit-code=0", "reboot --timeout infinity", "kexec"),
        FuzzTarget.Text("FinalStageArguments.ParseTimeout", t => FinalStageArguments.ParseTimeout(t), null, "90s", "18446744073709551615us", "2min"),
        FuzzTarget.Text("MountTable.Parse", t => MountTable.Parse(t).UnmountOrder("/oldroot"), null,
            "22 1 0:21 / / rw,relatime shared:1 - rootfs rootfs rw\n" +
            "35 22 7:0 / /oldroot rw,relatime - ext4 /dev/loop0 rw\n" +
            "36 35 0:40 / /oldroot/run/initramfs/share rw - cifs //10.0.2.2/boot rw,vers=3.1.1,sign\n" +
            "37 35 0:5 / /oldroot/mnt\\040x rw - tmpfs tmpfs rw\n"),
        FuzzTarget.Text("BootState.Parse", t => BootState.Parse(t), typeof(FormatException),
            "network\tinterface=eth0\taddress=10.0.2.15/24\tgateway=10.0.2.2\nshare\tmount=/run/initramfs/share\tunc=//10.0.2.2/boot\n" +
            "claim\tboot=6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e\tpath=machines/a.img\nloop\tdevice=/dev/loop0\tpath=machines/a.img\tfstype=xfs\trole=image\nmount\tat=/sysroot\n"),
        FuzzTarget.Text("ModuleIndex.Parse+Closure", t =>
            {
                var parts = t.Split('\u0001');
                ModuleIndex.Parse(parts[0], parts.ElementAtOrDefault(1), parts.ElementAtOrDefault(2), parts.ElementAtOrDefault(3))
                    .Closure(["cifs", "virtio_net", "crypto-gcm(aes)"]);
            }, typeof(FormatException),
            "kernel/fs/cifs/cifs.ko: kernel/lib/libdes.ko kernel/fs/netfs/netfs.ko\nkernel/lib/libdes.ko:\nkernel/fs/netfs/netfs.ko:\n" +
            "kernel/drivers/net/virtio_net.ko: kernel/net/core/failover.ko\nkernel/net/core/failover.ko:\nkernel/crypto/gcm.ko:\n" +
            "\u0001softdep cifs pre: ccm gcm post: netfs\n\u0001kernel/crypto/aes_generic.ko\n\u0001alias crypto-gcm(aes) gcm\nalias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_net\n"),
        FuzzTarget.Text("Glob.Matches", t =>
            {
                int split = t.IndexOf('\n');
                Glob.Matches(split < 0 ? t : t[..split], split < 0 ? "" : t[(split + 1)..]);
            }, null, "pci:v00008086d0000100Esv*sd*bc*sc*i*\npci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00", "x[!0-9]y*[]a]\nx5y]"),
        FuzzTarget.Binary("DhcpMessage.TryDecode+FromReply", b => { if (DhcpMessage.TryDecode(b) is { } m) DhcpLease.FromReply(m); }, null,
            DhcpReply(DhcpMessageType.Offer), DhcpReply(DhcpMessageType.Ack), DhcpReply(DhcpMessageType.Nak)),
        FuzzTarget.Binary("DhcpMessage.TryReadReply", b => DhcpMessage.TryReadReply(b, Mac), null,
            UdpFrame.Build(Server, IPAddress.Broadcast, DhcpMessage.ServerPort, DhcpMessage.ClientPort, DhcpReply(DhcpMessageType.Ack))),
        FuzzTarget.Binary("UdpFrame.TryParse", b => UdpFrame.TryParse(b, DhcpMessage.ClientPort, DhcpMessage.ServerPort), null,
            UdpFrame.Build(Server, IPAddress.Broadcast, DhcpMessage.ServerPort, DhcpMessage.ClientPort, [1, 2, 3, 4])),
        FuzzTarget.Binary("DnsMessage.TryReadAddresses", b => DnsMessage.TryReadAddresses(b, 0x1234, "files.example", DnsMessage.RecordType.A), null, DnsReply()),
        FuzzTarget.Binary("DnsMessage.TryReadAddresses(AAAA)", b => DnsMessage.TryReadAddresses(b, 0x1234, "files.example", DnsMessage.RecordType.Aaaa), null, DnsReply()),
        FuzzTarget.Binary("Dhcp6Message.TryRead+Dhcp6Lease.FromReply", b =>
            {
                if (Dhcp6Message.TryRead(b, Mac) is { } reply) Dhcp6Lease.FromReply(reply, out _);
            }, null, Dhcp6Reply()),
        FuzzTarget.Text("Ipv6Table.ParseAddresses", t => Ipv6Table.ParseAddresses(t).Select(a => a.Ready).ToList(), null,
            "20010db800770000505400fffe77000a 02 40 00 40     eth0\nfe800000000000005054fffe77000a02 02 40 20 80     eth0\n"),
        FuzzTarget.Text("Ipv6Table.ParseRoutes", t => Ipv6Table.ParseRoutes(t).Select(r => r.IsDefault).ToList(), null,
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003     eth0\n"),
        FuzzTarget.Text("KernelLogRecord.Parse+BlockError.Parse", t =>
            {
                if (KernelLogRecord.Parse(t) is { } record) BlockError.Parse(record.Message)?.Describe("the image x");
            }, null,
            "3,1234,10008905,-;I/O error, dev loop1, sector 2640 op 0x1:(WRITE) flags 0x9800 phys_seg 1 prio class 2\n SUBSYSTEM=block\n"),
        FuzzTarget.Binary("RouteMessages.ReadAck", b => RouteMessages.ReadAck(b, 7), null, NetlinkAck(7, 0), NetlinkAck(7, -17)),
        FuzzTarget.Text("ControlMessages.Decode", t => ControlMessages.Decode(t), null,
            ControlMessages.Encode(new ControlRequest.Status()), ControlMessages.Encode(new ControlRequest.Relinquish(ShutdownVerb.Halt, TimeSpan.FromSeconds(90)))),
        FuzzTarget.Text("ControlMessages.CheckAnswer", t => ControlMessages.CheckAnswer(new ControlRequest.Status(), t), null,
            "mode:        guard\nroot:        //10.0.2.2/boot/x.img\n", "relinquishing: the system shuts down\n"),
        FuzzTarget.Text("DebugData.Sessions+DescribeShare", t => { DebugData.Sessions(t); DebugData.DescribeShare(t, "rw,vers=3.1.1,sign,seal"); }, null,
            "Servers:\n1) ConnectionId: 0x1 Hostname: 10.0.2.2\nNumber of credits: 8190 Dialect 0x311 signed\n\tSessions:\n" +
            "\t1) Address: 10.0.2.2 Uses: 1 Capability: 0x300045\tSession Status: 1\n\tSecurity type: RawNTLMSSP  SessionId: 0x4c4a93f8 signed encrypted\n"),
        FuzzTarget.Binary("SuperblockDetector.Detect", b => SuperblockDetector.Detect(b), null, Superblock(0x438, [0x53, 0xEF]), Superblock(0, "XFSB"u8.ToArray())),
        FuzzTarget.Binary("HolderRecord.Read", b => HolderRecord.Read(b), null,
            new HolderRecord(false, "6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e", "52:54:00:12:34:56", "guest1", "192.168.77.11", DateTimeOffset.UnixEpoch, 7, TimeSpan.FromSeconds(60)).ToBytes()),
        FuzzTarget.Text("ShutdownVerbs.Parse", t => ShutdownVerbs.Parse(t), null, "poweroff", "reboot"),
        FuzzTarget.Text("ProcStatus.Kib", t => SmbRoot.Core.Kernel.ProcStatus.Kib(t, "VmRSS"), null, "Name:\tsmbroot\nVmRSS:\t   12345 kB\nThreads:\t4\n"),
        FuzzTarget.Text("ProcStat.UserTime", t => SmbRoot.Core.Kernel.ProcStat.UserTime(t), null, "1 (init) S 0 1 1 0 -1 4194560 2046 0 11 0 19 164 0 0 20 0 3 0 1"),
    ];

    private static byte[] DhcpReply(DhcpMessageType type) => new DhcpMessage(DhcpMessage.BootReply, 42, 0, false, IPAddress.Any,
        IPAddress.Parse("192.168.77.104"), Server, Mac, new Dictionary<byte, byte[]>
        {
            [DhcpMessage.OptionMessageType] = [(byte)type],
            [DhcpMessage.OptionServerId] = Server.GetAddressBytes(),
            [DhcpMessage.OptionSubnetMask] = [255, 255, 255, 0],
            [DhcpMessage.OptionRouter] = Server.GetAddressBytes(),
            [DhcpMessage.OptionDnsServers] = [192, 168, 77, 1, 8, 8, 8, 8],
            [DhcpMessage.OptionHostName] = "guest1"u8.ToArray(),
            [DhcpMessage.OptionLeaseTime] = [0, 0, 0x0e, 0x10],
        }).Encode();

    /// <summary>A DHCPv6 REPLY with rapid commit for <see cref="Mac"/>: ids, an IA_NA with one address, DNS servers, a domain list.</summary>
    private static byte[] Dhcp6Reply()
    {
        static byte[] Option(ushort code, byte[] data) => [(byte)(code >> 8), (byte)code, (byte)(data.Length >> 8), (byte)data.Length, .. data];
        byte[] lifetimes = [0, 0, 0x0e, 0x10, 0, 0, 0x0e, 0x10];
        byte[] address = Option(5, [.. IPAddress.Parse("2001:db8:77::4d").GetAddressBytes(), .. lifetimes]);
        byte[] association = [.. BitConverter.GetBytes(Dhcp6Message.AssociationId(Mac)).Reverse(), 0, 0, 7, 8, 0, 0, 0x0b, 0x40, .. address];
        return [7, 0, 0, 1, .. Option(1, Dhcp6Message.ClientIdentity(Mac)), .. Option(2, [0, 3, 0, 1, 1, 2, 3, 4, 5, 6]), .. Option(3, association),
            .. Option(23, IPAddress.Parse("2001:db8:77::1").GetAddressBytes()), .. Option(24, [3, (byte)'l', (byte)'a', (byte)'b', 0]), .. Option(14, [])];
    }

    /// <summary>An answer to Query(0x1234, "files.example", A): the question, then one A record that points back at it.</summary>
    private static byte[] DnsReply()
    {
        var reply = new List<byte>(DnsMessage.Query(0x1234, "files.example", DnsMessage.RecordType.A));
        reply[2] |= 0x80; // QR: a response
        reply[7] = 1;     // ANCOUNT
        reply.AddRange(new byte[] { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 168, 77, 1 });
        return reply.ToArray();
    }

    private static byte[] NetlinkAck(uint sequence, int error)
    {
        var ack = new byte[36];
        BitConverter.TryWriteBytes(ack.AsSpan(0), 36u);
        BitConverter.TryWriteBytes(ack.AsSpan(4), (ushort)2); // NLMSG_ERROR
        BitConverter.TryWriteBytes(ack.AsSpan(8), sequence);
        BitConverter.TryWriteBytes(ack.AsSpan(16), error);
        return ack;
    }

    private static byte[] Superblock(int offset, byte[] magic)
    {
        var head = new byte[SuperblockDetector.BytesNeeded];
        magic.CopyTo(head, offset);
        return head;
    }

    /// <summary>Runs every target; prints one line each, and every crash with its input. Returns the number of crashes.</summary>
    /// <param name="names">only the targets whose names start with one of these; all when empty</param>
    public static int RunAll(long inputsPerTarget, TextWriter output, IReadOnlyList<string> names, int seed = 1)
    {
        int crashes = 0;
        foreach (var target in All.Where(t => names.Count == 0 || names.Any(n => t.Name.StartsWith(n, StringComparison.Ordinal))))
        {
            var result = Fuzzer.Run(target, inputsPerTarget, seed);
            output.WriteLine($"fuzz: {target.Name,-36} {result.Inputs,9:N0} inputs in {result.Took.TotalSeconds,6:0.0} s: " +
                (result.Crashes.Count == 0 ? "no crash" : $"{result.Crashes.Count} CRASH(ES)"));
            foreach (var crash in result.Crashes)
            {
                output.WriteLine($"  input {crash.Input}: {crash.Error.GetType().Name}: {crash.Error.Message}");
                output.WriteLine($"    {Convert.ToBase64String(crash.Data)}");
                output.WriteLine($"    {crash.Error.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
            }
            crashes += result.Crashes.Count;
            output.Flush();
        }
        return crashes;
    }
}
