using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// IPv6 boot networks on the lab bridge: dnsmasq sends router advertisements and answers DHCPv6,
/// smbd listens on the bridge's IPv6 address, and the server's name has an A and an AAAA record.
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed class Ipv6Tests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    /// <summary>A guest on the lab bridge that boots <paramref name="path"/> by the server's name with ip=<paramref name="ip"/>, up to the root's init.</summary>
    private QemuMachine BootByName(string path, string ip, string extra = "")
    {
        var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.ByNameCommandLine(path, ip, extra), [_lab.Network!.AddNic()]);
        try
        {
            guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            return guest;
        }
        catch
        {
            guest.Dispose();
            throw;
        }
    }

    /// <summary>The server's own view: the machine at <paramref name="address"/> has its root image open.</summary>
    private void ServerSeesTheImageOpenFrom(string address) =>
        Assert.Contains(_lab.Samba.OpenedBy(address), open => open.Name.EndsWith("root.img", StringComparison.Ordinal));

    [Fact]
    public void An_IPv6_only_machine_boots_by_name_with_SLAAC_and_releases_everything_over_IPv6()
    {
        const string path = "ipv6-slaac/root.img";
        string image = _lab.AddImage(path, "ext4");
        using var dns = new Dnsmasq(_lab.Network!, ipv6: Ipv6Service.Slaac);
        using var guest = BootByName(path, "auto6");
        string address = guest.Seen(@"network: eth0 is (2001:db8:77:[0-9a-f:]+)/64, gateway fe80::[0-9a-f:]+ \(SLAAC\)").Groups[1].Value;
        Assert.DoesNotMatch(@"network: eth0 is 192\.168", guest.Console);
        Assert.Matches(@"dhcp6: DNS 2001:db8:77::1 from [0-9a-f]+", guest.Console);
        Assert.Matches(@"(?m)share: files\.lab\.example is 2001:db8:77::1\r?$", guest.Console);
        ServerSeesTheImageOpenFrom(address);

        guest.Type($"{RootImage.ControlClient} status");
        guest.WaitFor(@"network:\s+eth0 2001:db8:77:[0-9a-f:]+/64 via fe80::[0-9a-f:]+, IPv6 by SLAAC", TimeSpan.FromMinutes(1));

        // The system flushes the root's interface: guard mode puts the IPv6 address and route back, and the root writes on.
        guest.Type("ip link set eth0 down; ip -6 addr flush dev eth0; sleep 3; " +
            "dd if=/dev/urandom of=/root/after-flush bs=64k count=16 conv=fsync && sync && echo \"WRITE-AFTER-FLUSH-$(wc -c < /root/after-flush)\"");
        guest.WaitFor(@"guard: something took eth0 down under the root; brought it back up", TimeSpan.FromMinutes(1));
        guest.WaitFor($@"guard: the root's address {address}/64 was removed from eth0; put it back", TimeSpan.FromSeconds(30));
        guest.WaitFor(@"WRITE-AFTER-FLUSH-1048576", TimeSpan.FromMinutes(2));

        guest.Type($"{RootImage.ControlClient} relinquish --halt");
        guest.WaitFor(@"final: the root is released", TimeSpan.FromMinutes(1));
        Released.WhileHalted(_lab, guest, image, "ext4");
    }

    [Fact]
    public void DHCPv6_gives_the_address_and_the_DNS_server_and_guard_mode_renews_the_lease()
    {
        const string path = "ipv6-dhcp6/root.img";
        _lab.AddImage(path, "ext4");
        // dnsmasq's shortest lease, 2 minutes: T1 comes after one.
        using var dns = new Dnsmasq(_lab.Network!, leaseTime: "2m", ipv6: Ipv6Service.Dhcp6);
        using var guest = BootByName(path, "dhcp6", "rd.debug");
        string address = guest.Seen(@"network: eth0 is (2001:db8:77::1[0-9a-f]{2})/64, gateway fe80::[0-9a-f:]+ \(DHCPv6 from [0-9a-f]+, lease 120s\)").Groups[1].Value;
        Assert.Matches(@"(?m)share: files\.lab\.example is 2001:db8:77::1\r?$", guest.Console);
        Assert.Contains($"DHCPREPLY(br0) {address}", dns.Log);
        ServerSeesTheImageOpenFrom(address);
        guest.Type($"{RootImage.ControlClient} status");
        guest.WaitFor(@"DHCPv6 lease from [0-9a-f]+ for 120s", TimeSpan.FromMinutes(1));

        guest.WaitFor(@"guard: DHCPv6 lease renewed by [0-9a-f]+ for 120s", TimeSpan.FromMinutes(2));
        // The server's view: a RENEW from this machine's DUID, and a second REPLY with the same address.
        Assert.Matches(@"DHCPRENEW\(br0\) 00:03:00:01:52:54:00:77:00:", dns.Log);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(dns.Log, $@"DHCPREPLY\(br0\) {System.Text.RegularExpressions.Regex.Escape(address)} ").Count);
    }

    [Fact]
    public void Dual_stack_tries_the_global_IPv6_address_first_and_falls_back_to_IPv4()
    {
        const string path = "ipv6-dual/root.img";
        _lab.AddImage(path, "ext4");
        // The name's AAAA record is an address nothing answers on; its A record is the server.
        using var dns = new Dnsmasq(_lab.Network!, ipv6: Ipv6Service.Slaac, serverAddress6: LabNetwork.Prefix6 + "99");
        using var guest = BootByName(path, "dhcp,auto6");
        string address = guest.Seen(@"network: eth0 is (192\.168\.77\.1\d\d)/24").Groups[1].Value;
        Assert.Matches(@"network: eth0 is 2001:db8:77:[0-9a-f:]+/64, gateway fe80::[0-9a-f:]+ \(SLAAC\)", guest.Console);
        Assert.Matches(@"share: files\.lab\.example is 2001:db8:77::99 \(also 192\.168\.77\.1\)", guest.Console);
        Assert.Matches(@"share: \[2001:db8:77::99\]:445 did not answer \(.+\); using 192\.168\.77\.1", guest.Console);
        ServerSeesTheImageOpenFrom(address);
    }

    [Fact]
    public void Either6_takes_SLAAC_and_a_hostile_advertisement_and_DNS_answer_get_notes()
    {
        const string path = "ipv6-either/root.img";
        _lab.AddImage(path, "ext4");
        // Router lifetime 0: no default route. A multicast address among the DNS servers.
        using var dns = new Dnsmasq(_lab.Network!, ipv6: Ipv6Service.Slaac, routerLifetime: 0, dnsServers6: $"[ff02::1],[{LabNetwork.ServerAddress6}]");
        using var guest = BootByName(path, "either6");
        string address = guest.Seen(@"network: eth0 is (2001:db8:77:[0-9a-f:]+)/64, no IPv6 default route \(only servers on this link\) \(SLAAC\)").Groups[1].Value;
        Assert.Matches(@"dhcp6: ignoring DNS servers no machine can ask: ff02::1", guest.Console);
        ServerSeesTheImageOpenFrom(address);
    }

    [Fact]
    public void A_static_IPv6_address_and_a_link_local_server_named_with_its_interface()
    {
        const string path = "ipv6-static/root.img";
        _lab.AddImage(path, "ext4");
        using var forward = _lab.Network!.ForwardSmbFromLinkLocal();
        string commandLine = $"console=ttyS0 panic=-1 root=cifs://{SambaServer.User}@[{LabNetwork.ServerLinkLocal}%eth0]/{SambaServer.ShareName}/{path} " +
            $"ip=[{LabNetwork.Prefix6}50]:::64:static6:eth0:off rd.retry=0";
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), commandLine, [_lab.Network.AddNic()]);

        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"network: eth0 is 2001:db8:77::50/64, no IPv6 default route", guest.Console);
        Assert.Matches(@"share: mounting //\[fe80::1\]/boot on", guest.Console);
        // The share is mounted with the scope as eth0's index (2), not its name, which the cifs client would not parse.
        guest.Type($"{RootImage.ControlClient} status");
        guest.WaitFor(@"server:\s+fe80::1%2\s", TimeSpan.FromMinutes(1));
        Assert.Contains(path, _lab.Samba.OpenFiles());
    }

    [Fact]
    public void In_handoff_mode_the_final_stage_puts_a_flushed_IPv6_network_back_and_releases_over_it()
    {
        const string path = "ipv6-handoff/root.img";
        // After systemd's pivot, the network is gone as a network manager's stop leaves it.
        string flush = "/oldroot/bin/busybox ip -6 addr flush dev eth0; /oldroot/bin/busybox ip link set eth0 down";
        var files = new Dictionary<string, byte[]>
        {
            ["/sbin/systemd-shutdown-lab"] = System.Text.Encoding.UTF8.GetBytes(FinalStageTests.SystemdShutdownScript("90000000us", flush)),
        };
        string image = _lab.AddImage(path, "ext4", extraInittab: "::restart:/sbin/systemd-shutdown-lab\n", extraFiles: files);
        using var dns = new Dnsmasq(_lab.Network!, ipv6: Ipv6Service.Slaac);
        using var guest = BootByName(path, "auto6", "smbroot.mode=handoff rd.fence.watchdog=none");
        string address = guest.Seen(@"network: eth0 is (2001:db8:77:[0-9a-f:]+)/64, gateway (fe80::[0-9a-f:]+) \(SLAAC\)").Groups[1].Value;

        guest.Type("kill -QUIT 1");
        guest.WaitFor($@"final: put back on eth0 to release the share: the link \(the system's shutdown took it down\), the address {address}/64, " +
            @"the default route via fe80::[0-9a-f:]+", TimeSpan.FromMinutes(2));
        guest.WaitFor(@"final: holder record released", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"final: the root is released", TimeSpan.FromMinutes(1));
        Released.WhileHalted(_lab, guest, image, "ext4");
        Assert.Contains("state=released", File.ReadAllText(image + ".holder"));
    }
}
