using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>Real networks: dnsmasq as DHCP and DNS server on the lab bridge, NICs found without naming a driver.</summary>
[Collection(NetworkLabCollection.Name)]
public sealed class NetworkTests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    [Theory]
    [InlineData("virtio-net-pci", "virtio_net")]
    [InlineData("e1000", "e1000")]
    public void DHCP_and_a_server_name_boot_with_the_NIC_driver_found_by_itself(string model, string driver)
    {
        string image = $"dhcp-{driver}/root.img";
        _lab.AddImage(image, "ext4");
        using var dns = new Dnsmasq(_lab.Network!);
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.DhcpCommandLine(image), [_lab.Network!.AddNic(model)]);

        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches($@"LAB: nic=eth0:{driver}:up", guest.Console);
        Assert.Matches(@"network: eth0 is 192\.168\.77\.1\d\d/24, gateway 192\.168\.77\.1 \(DHCP from 192\.168\.77\.1, lease 3600s\)", guest.Console);
        Assert.Matches(@"share: files\.lab\.example is 192\.168\.77\.1", guest.Console);
        Assert.Contains(image, _lab.Samba.OpenFiles());

        guest.Type($"{RootImage.ControlClient} status");
        guest.WaitFor(@"network:\s+eth0 192\.168\.77\.1\d\d/24 via 192\.168\.77\.1, DHCP lease from 192\.168\.77\.1 for 3600s", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"server:\s+192\.168\.77\.1 \(files\.lab\.example, resolved by DNS\)", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void BOOTIF_picks_the_right_one_of_two_NICs()
    {
        const string image = "bootif/root.img";
        _lab.AddImage(image, "ext4");
        using var dns = new Dnsmasq(_lab.Network!);
        // eth0 has a link but leads nowhere; the machine booted from the second NIC.
        var dead = _lab.Network!.AddNic("e1000", isolated: true);
        var wired = _lab.Network.AddNic("virtio-net-pci");
        string bootIf = "01-" + wired.Mac.Replace(':', '-');
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.DhcpCommandLine(image, $"BOOTIF={bootIf}"), [dead, wired]);

        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches($@"network: using eth1 \({wired.Mac}\) of eth0 \({dead.Mac}\), eth1 \({wired.Mac}\)", guest.Console);
        Assert.Matches(@"network: eth1 is 192\.168\.77\.1\d\d/24", guest.Console);
    }

    [Fact]
    public void A_DHCP_server_that_starts_late_is_waited_for()
    {
        const string image = "late-dhcp/root.img";
        _lab.AddImage(image, "ext4");
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.DhcpCommandLine(image, "rd.retry=300"), [_lab.Network!.AddNic()]);

        guest.WaitFor(@"dhcp: waiting for an offer on eth0 \(\d+s left\)", LabFixture.BootTimeout);
        Thread.Sleep(TimeSpan.FromSeconds(10));
        using var dns = new Dnsmasq(_lab.Network);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains(image, _lab.Samba.OpenFiles());
    }

    [Fact]
    public void Taking_the_roots_interface_down_inside_the_system_does_not_kill_the_root()
    {
        const string image = "link-down/root.img";
        _lab.AddImage(image, "ext4");
        using var dns = new Dnsmasq(_lab.Network!);
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.DhcpCommandLine(image), [_lab.Network!.AddNic()]);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Thread.Sleep(1000);

        guest.Type("ip link set eth0 down; ip addr flush dev eth0; sleep 5; " +
            "dd if=/dev/urandom of=/root/after-down bs=64k count=16 conv=fsync && sync && echo \"WRITE-AFTER-DOWN-$(wc -c < /root/after-down)\"");
        guest.WaitFor(@"guard: something took eth0 down under the root; brought it back up", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"guard: the root's address 192\.168\.77\.1\d\d/24 was removed from eth0; put it back", TimeSpan.FromSeconds(30));
        guest.WaitFor(@"WRITE-AFTER-DOWN-1048576", TimeSpan.FromMinutes(2));
        Assert.Contains(image, _lab.Samba.OpenFiles());
    }

    [Fact]
    public void PID_1_renews_the_DHCP_lease_while_the_system_runs()
    {
        const string image = "renew/root.img";
        _lab.AddImage(image, "ext4");
        using var dns = new Dnsmasq(_lab.Network!, leaseTime: "2m");
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.DhcpCommandLine(image, "rd.debug"), [_lab.Network!.AddNic()]);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"\(DHCP from 192\.168\.77\.1, lease 120s\)", guest.Console);

        // Renewal is due at half the lease (RFC 2131 4.4.5): 60 s after the boot's ACK.
        guest.WaitFor(@"guard: DHCP lease renewed by 192\.168\.77\.1 for 120s", TimeSpan.FromSeconds(100));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(dns.Log, @"DHCPACK\(br0\)").Count);
    }

    /// <summary>
    /// A DHCP server that hands out a T1 of 5 s, a router outside the subnet and a host name longer
    /// than the kernel takes: the boot says so, goes on without them, and PID 1 does not hammer
    /// the server with renewals.
    /// </summary>
    [Fact]
    public void Hostile_DHCP_values_get_notes_and_do_not_stop_the_boot()
    {
        const string image = "hostile-dhcp/root.img";
        _lab.AddImage(image, "ext4");
        string longName = new('h', 100);
        using var dns = new Dnsmasq(_lab.Network!, leaseTime: "2m", router: "10.9.9.9",
            extraOptions: ["--dhcp-option-force=option:T1,5", $"--dhcp-option-force=12,{longName}"]);
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.DhcpCommandLine(image, "rd.debug"), [_lab.Network!.AddNic()]);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"dhcp: the lease is 120s; renewing every 30s, not sooner", guest.Console);
        Assert.Matches(@"dhcp: the router 10\.9\.9\.9 is outside 192\.168\.77\.1\d\d/24; ignoring it", guest.Console);
        Assert.Matches(@"dhcp: the host name from DHCP is 100 characters, more than the kernel's 64; ignoring it", guest.Console);
        Assert.Contains(image, _lab.Samba.OpenFiles());

        // 70 s of the system running: renewals every 30 s at most, never one a second.
        guest.WaitFor(@"guard: DHCP lease renewed by 192\.168\.77\.1", TimeSpan.FromSeconds(60));
        Thread.Sleep(TimeSpan.FromSeconds(40));
        int requests = System.Text.RegularExpressions.Regex.Matches(dns.Log, @"DHCPREQUEST\(br0\)").Count;
        Assert.InRange(requests, 2, 5);
    }

    /// <summary>The DHCP server goes away before the renewal: the lease runs out, and the root keeps its address and goes on.</summary>
    [Fact]
    public void The_root_keeps_its_address_when_the_DHCP_server_is_gone_past_the_end_of_the_lease()
    {
        const string image = "dhcp-gone/root.img";
        _lab.AddImage(image, "ext4");
        var dns = new Dnsmasq(_lab.Network!, leaseTime: "2m");
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.DhcpCommandLine(image), [_lab.Network!.AddNic()]);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        string address = guest.Seen(@"network: eth0 is (192\.168\.77\.\d+)/24").Groups[1].Value;
        dns.Dispose();

        guest.WaitFor(@"guard: the DHCP server 192\.168\.77\.1 did not renew the lease", TimeSpan.FromSeconds(100));
        Thread.Sleep(TimeSpan.FromSeconds(75)); // past the 120 s lease
        guest.Type("ip -4 addr show eth0 | grep -c 'inet " + address + "/24'; dd if=/dev/zero of=/root/after-lease bs=1M count=1 conv=fsync 2>/dev/null && echo WRITTEN-AFTER-LEASE");
        guest.WaitFor(@"^1\r?$", TimeSpan.FromSeconds(30));
        guest.WaitFor("WRITTEN-AFTER-LEASE", TimeSpan.FromSeconds(60));
        Assert.Contains(image, _lab.Samba.OpenFiles());
    }
}
