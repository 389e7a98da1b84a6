using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Plan;

public class BootPlanTests
{
    private const string Minimal = "root=cifs://10.0.0.5/boot/r.img ip=10.0.0.9::10.0.0.1:255.255.255.0::eth0:off";

    private static BootPlan Parse(string text) => BootPlan.Parse(KernelCommandLine.Parse(text));

    [Fact]
    public void Defaults()
    {
        var plan = Parse(Minimal);
        Assert.Null(plan.RootFsType);
        Assert.False(plan.ReadOnly);
        Assert.Equal("/etc/smbroot/credentials", plan.CredentialsPath);
        Assert.Equal("/sbin/init", plan.Init);
        Assert.Equal(180, plan.RetrySeconds);
        Assert.False(plan.Shell);
        Assert.Equal(BreakPoint.None, plan.Break);
        Assert.Equal(BootMode.Auto, plan.Mode);
        Assert.Equal(SmbRoot.Core.Shutdown.ShutdownVerb.PowerOff, plan.HaltVerb);
        Assert.Equal(SmbRoot.Core.Shutdown.ShutdownVerb.Halt, Parse(Minimal + " smbroot.halt=halt").HaltVerb);
        Assert.Contains("smbroot.halt=off", Assert.Throws<PlanException>(() => Parse(Minimal + " smbroot.halt=off")).Message);
        Assert.Equal(Integrity.Sign, plan.Integrity);
    }

    [Theory]
    [InlineData("", Integrity.Sign)]
    [InlineData(" rd.cifs.integrity=sign", Integrity.Sign)]
    [InlineData(" rd.cifs.integrity=seal", Integrity.Seal)]
    [InlineData(" rd.cifs.integrity=off", Integrity.Off)]
    [InlineData(" rd.cifs.integrity=off rd.cifs.opts=sign", Integrity.Sign)]
    [InlineData(" rd.cifs.integrity=sign rd.cifs.opts=seal", Integrity.Seal)]
    [InlineData(" rd.cifs.opts=seal", Integrity.Seal)]
    public void Signing_by_default_and_the_stronger_request_wins(string extra, Integrity expected)
    {
        var plan = Parse(Minimal + extra);
        Assert.Equal(expected, plan.Integrity);
        Assert.Contains($"integrity:   {expected.Name()}: ", plan.Describe());
    }

    [Fact]
    public void Fencing_defaults_and_keys()
    {
        var plan = Parse(Minimal);
        Assert.Equal(SmbRoot.Core.Fencing.FencingPolicy.Default, plan.Fencing);
        Assert.Contains("fencing:     renewed every 12 s; a holder that cannot renew for 60 s reboots itself (softdog at 62 s)", plan.Describe());
        Assert.DoesNotContain("fencing:", Parse(Minimal + " ro").Describe());
        var tuned = Parse(Minimal + " rd.fence.deadline=60 rd.fence.margin=15 rd.fence.watchdog=none").Fencing;
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(15), false), (tuned.Deadline, tuned.Margin, tuned.Watchdog));
        string problems = Assert.Throws<PlanException>(() => Parse(Minimal + " rd.fence.deadline=2 rd.fence.margin=x rd.fence.watchdog=hw")).Message;
        Assert.Contains("rd.fence.deadline=2: expected a number of seconds from 5 to 3600", problems);
        Assert.Contains("rd.fence.margin=x: expected a number of seconds from 5 to 3600", problems);
        Assert.Contains("rd.fence.watchdog=hw: expected softdog (the default) or none", problems);
    }

    [Fact]
    public void An_unknown_integrity_is_named()
    {
        Assert.Contains("rd.cifs.integrity=maybe: expected sign (the default), seal or off",
            Assert.Throws<PlanException>(() => Parse(Minimal + " rd.cifs.integrity=maybe")).Message);
    }

    [Fact]
    public void Every_key()
    {
        var plan = Parse(Minimal + " ro rootfstype=xfs rootflags=noatime,inode64 rd.cifs.opts=seal rd.cifs.credentials=/etc/c " +
            "init=/lib/systemd/systemd rd.retry=30 rd.shell rd.break=pre-pivot rd.debug=1 smbroot.mode=handoff -- single");
        Assert.True(plan.ReadOnly);
        Assert.Equal("xfs", plan.RootFsType);
        Assert.Equal("inode64", plan.RootMount.Data);
        Assert.Equal(["seal"], plan.CifsExtraOptions);
        Assert.Equal("/etc/c", plan.CredentialsPath);
        Assert.Equal("/lib/systemd/systemd", plan.Init);
        Assert.Equal(["single"], plan.InitArguments);
        Assert.Equal(30, plan.RetrySeconds);
        Assert.True(plan.Shell);
        Assert.Equal(BreakPoint.PreSwitch, plan.Break);
        Assert.True(plan.Debug);
        Assert.Equal(BootMode.Handoff, plan.Mode);
    }

    [Fact]
    public void The_later_of_ro_and_rw_wins()
    {
        Assert.False(Parse(Minimal + " ro rw").ReadOnly);
        Assert.True(Parse(Minimal + " rw ro").ReadOnly);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_key()
    {
        var error = Assert.Throws<PlanException>(() => Parse(
            "ip=rarp BOOTIF=xx rootfstype=zfs rd.retry=soon rd.break=later rd.shell=maybe init=sbin/init smbroot.mode=x rd.cifs.credentials=c"));
        string[] expected =
        [
            "no root= on the command line", "ip=rarp", "BOOTIF=xx", "rootfstype=zfs", "rd.retry=soon", "rd.break=later",
            "rd.shell=maybe", "init=sbin/init", "smbroot.mode=x", "rd.cifs.credentials=c",
        ];
        foreach (var text in expected) Assert.Contains(text, error.Message);
    }

    [Fact]
    public void A_share_root_has_no_image_filesystem()
    {
        var error = Assert.Throws<PlanException>(() => Parse(Minimal.Replace("r.img", "") + " rootfstype=xfs"));
        Assert.Contains("the share itself is the root", error.Message);
    }

    [Fact]
    public void Describe_never_shows_a_secret()
    {
        string text = Parse("root=cifs://jane@10.0.0.5/boot/r.img ip=10.0.0.9:::::: rd.retry=0").Describe();
        Assert.Contains("cifs://jane@10.0.0.5/boot/r.img", text);
        Assert.Contains("retry/reboot prompt", text);
        Assert.DoesNotContain("password", text);
    }
}
