using SmbRoot.Admin;
using SmbRoot.Core.Admin;
using SmbRoot.Mkinitramfs;
using Xunit;

namespace SmbRoot.Tests.Admin;

/// <summary>What smbroot-admin initramfs reads: the site's config, the machines, the kernels there are; and the progress it shows.</summary>
public sealed class SiteInputsTests
{
    [Fact]
    public void The_site_config_is_read_as_the_hooks_sh_reads_its_assignments()
    {
        var config = SiteConfig.Parse("# comment\n\nSMBROOT_ENABLE=no\nSMBROOT_OPTIONS=\"--nic virtio_pci,virtio_net  --compression zstd\"\n", "conf");
        Assert.False(config.Enabled);
        Assert.Equal(["--nic", "virtio_pci,virtio_net", "--compression", "zstd"], config.Options);
        var options = MkinitramfsOptions.Parse(config.Options);
        Assert.Equal("zstd", options.Compression);
        Assert.Equal(["virtio_pci", "virtio_net"], options.Nics);
        Assert.Equal(["--filesystem", "ext4"], SiteConfig.Parse("SMBROOT_OPTIONS='--filesystem ext4'", "conf").Options);
        Assert.True(SiteConfig.Parse("", "conf").Enabled);
    }

    [Theory]
    [InlineData("if true; then SMBROOT_OPTIONS=x; fi", "conf:1: expected NAME=value")]
    [InlineData("SMBROOT_OPTIONS=\"--module $EXTRA\"", "conf:1: quotes inside a value, $")]
    [InlineData("# ok\nSMBROOT_OPTIONS=\"a \\\"b\\\"\"", "conf:2:")]
    public void A_config_line_sh_would_do_more_with_is_refused_with_its_number(string text, string expected)
    {
        Assert.Contains(expected, Assert.Throws<FormatException>(() => SiteConfig.Parse(text, "conf")).Message);
    }

    [Fact]
    public void The_mkinitramfs_options_add_to_those_they_start_from_and_refuse_what_they_do_not_know()
    {
        var site = MkinitramfsOptions.Parse(["--nic", "e1000", "--module", "btrfs"]);
        var both = MkinitramfsOptions.Parse(["--nic", "igb", "--init", "/x"], site);
        Assert.Equal(["e1000", "igb"], both.Nics);
        Assert.Equal(["e1000"], site.Nics);
        Assert.Equal("/x", both.Init);
        Assert.Contains("unknown option --bogus", Assert.Throws<ArgumentException>(() => MkinitramfsOptions.Parse(["--bogus"])).Message);
        Assert.Contains("--compression lz4", Assert.Throws<ArgumentException>(() => MkinitramfsOptions.Parse(["--compression", "lz4"])).Message);
        Assert.Contains("--nic needs a value", Assert.Throws<ArgumentException>(() => MkinitramfsOptions.Parse(["--nic"])).Message);
    }

    [Fact]
    public void The_machine_list_has_a_name_a_user_and_perhaps_a_domain_per_line()
    {
        var machines = MachineList.Parse("# site\nnode7 u7\n\nnode8\tu8  EXAMPLE\n", "m");
        Assert.Equal([new MachineList.Machine("node7", "u7", null), new MachineList.Machine("node8", "u8", "EXAMPLE")], machines);
    }

    [Theory]
    [InlineData("node7", "m:1: expected NAME USER [DOMAIN], found 1 words")]
    [InlineData("node7 u p extra", "found 4 words")]
    [InlineData("../etc u", "names a file")]
    [InlineData(".hidden u", "names a file")]
    [InlineData("a u\na v", "m:2: machine a is listed twice")]
    public void A_machine_line_that_would_go_wrong_is_refused_with_its_number(string text, string expected)
    {
        Assert.Contains(expected, Assert.Throws<FormatException>(() => MachineList.Parse(text, "m")).Message);
    }

    [Fact]
    public void Kernel_versions_are_ordered_by_their_numbers()
    {
        string[] versions = ["6.1.0-9-amd64", "6.1.0-28-amd64", "5.10.0-30-amd64", "6.10.0-1-amd64", "6.1.0-28-cloud-amd64"];
        Assert.Equal(["5.10.0-30-amd64", "6.1.0-9-amd64", "6.1.0-28-amd64", "6.1.0-28-cloud-amd64", "6.10.0-1-amd64"], versions.Order(KernelVersionOrder.Instance));
    }

    [Fact]
    public void The_newest_kernel_is_one_with_both_its_modules_and_its_image()
    {
        var root = Directory.CreateTempSubdirectory("smbroot-kernels-").FullName;
        try
        {
            foreach (var version in new[] { "6.1.0-9-amd64", "6.1.0-28-amd64", "6.1.0-30-amd64" }) Directory.CreateDirectory(Path.Combine(root, "modules", version));
            Directory.CreateDirectory(Path.Combine(root, "boot"));
            foreach (var version in new[] { "6.1.0-9-amd64", "6.1.0-28-amd64" }) File.WriteAllText(Path.Combine(root, "boot", $"vmlinuz-{version}"), "");
            Assert.Equal("6.1.0-28-amd64", InitramfsCommand.NewestKernel(Path.Combine(root, "modules"), Path.Combine(root, "boot")));
            Assert.Throws<FormatException>(() => InitramfsCommand.NewestKernel(Path.Combine(root, "none"), Path.Combine(root, "boot")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("1 16 32 /srv/v2.img", 0.35)]
    [InlineData("2 0 100 /srv/v2.img", 0.70)]
    [InlineData("5 50 100 /srv/v2.img", 0.975)]
    [InlineData("5 100 100 /srv/v2.img", 1.0)]
    public void E2fsck_progress_weighs_its_passes_as_its_own_bar_does(string line, double expected)
    {
        Assert.Equal(expected, FsckProgress.Fraction(line)!.Value, 6);
    }

    [Theory]
    [InlineData("Pass 1: Checking inodes, blocks, and sizes")]
    [InlineData("e2fsck 1.47.0 (5-Feb-2023)")]
    [InlineData("6 1 2 x")]
    [InlineData("1 1 0 x")]
    [InlineData("1 -1 2 x")]
    [InlineData("")]
    public void E2fsck_messages_are_not_progress(string line)
    {
        Assert.Null(FsckProgress.Fraction(line));
    }

    [Fact]
    public void Progress_past_two_seconds_is_a_line_each_tenth_of_the_way_or_the_time_so_far()
    {
        var error = new StringWriter();
        var now = TimeSpan.FromSeconds(3);
        var progress = new ProgressLine(error, "compressing", () => now);
        progress.Report(5, 20, "MiB");
        progress.Report(5.5, 20, "MiB");
        progress.Report(20, 20, "MiB");
        Assert.Equal(["  compressing: 20%, 5 of 20 MiB (3 s)", "  compressing: 100%, 20 of 20 MiB (3 s)"], error.ToString().TrimEnd().Split(Environment.NewLine));

        var waiting = new StringWriter();
        var check = new ProgressLine(waiting, "checking", () => now);
        check.StillWorking(TimeSpan.FromSeconds(10));
        now = TimeSpan.FromSeconds(10);
        check.StillWorking(TimeSpan.FromSeconds(10));
        check.StillWorking(TimeSpan.FromSeconds(10));
        now = TimeSpan.FromSeconds(21);
        check.StillWorking(TimeSpan.FromSeconds(10));
        Assert.Equal(["  checking: still working (10 s)", "  checking: still working (21 s)"], waiting.ToString().TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public void Progress_says_nothing_for_quick_work()
    {
        var error = new StringWriter();
        var progress = new ProgressLine(error, "compressing");
        for (int i = 0; i <= 10; i++) progress.Report(i, 10, "MiB");
        progress.StillWorking(TimeSpan.FromSeconds(10));
        Assert.Equal("", error.ToString());
    }
}
