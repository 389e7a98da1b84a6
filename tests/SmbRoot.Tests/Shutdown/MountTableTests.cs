using SmbRoot.Core.Shutdown;
using Xunit;

namespace SmbRoot.Tests.Shutdown;

public class MountTableTests
{
    // The final stage's view after pivoting into the ramdisk (trimmed from a real guest).
    private const string AfterPivot = """
        22 1 0:19 / / rw,relatime - tmpfs tmpfs rw,mode=755
        30 22 7:0 / /oldroot rw,relatime - ext4 /dev/loop0 rw
        31 30 0:5 / /oldroot/dev rw,nosuid - devtmpfs devtmpfs rw,size=372k,mode=755
        32 30 0:20 / /oldroot/proc rw,nosuid,nodev,noexec - proc proc rw
        33 30 0:21 / /oldroot/sys rw,nosuid,nodev,noexec - sysfs sysfs rw
        34 30 0:19 / /oldroot/run rw,nosuid,nodev - tmpfs tmpfs rw,mode=755
        35 34 0:40 / /oldroot/run/initramfs/share rw,relatime - cifs //10.0.2.2/boot rw,vers=3.1.1
        36 31 0:22 / /oldroot/dev/pts rw,nosuid,noexec - devpts devpts rw
        37 30 0:41 / /oldroot/mnt/with\040space rw - tmpfs tmpfs rw
        40 22 0:20 / /proc rw - proc proc rw
        """;

    [Fact]
    public void Parses_fields_and_octal_escapes()
    {
        var mounts = MountTable.Parse(AfterPivot).Entries;
        Assert.Equal(10, mounts.Count);
        Assert.Equal(new MountEntry(35, 34, "/oldroot/run/initramfs/share", "cifs", "//10.0.2.2/boot", "rw,vers=3.1.1"), mounts[6]);
        Assert.Equal("/oldroot/mnt/with space", mounts[8].MountPoint);
    }

    [Fact]
    public void Unmount_order_is_children_first_and_only_below_the_top()
    {
        var order = MountTable.Parse(AfterPivot).UnmountOrder("/oldroot").Select(m => m.MountPoint).ToList();
        Assert.Equal("/oldroot", order[^1]);
        Assert.True(order.IndexOf("/oldroot/dev/pts") < order.IndexOf("/oldroot/dev"));
        Assert.True(order.IndexOf("/oldroot/run/initramfs/share") < order.IndexOf("/oldroot/run"));
        Assert.DoesNotContain("/proc", order);
        Assert.DoesNotContain("/", order);
        Assert.Equal(8, order.Count);
    }

    [Fact]
    public void A_prefix_is_not_a_parent()
    {
        var mounts = MountTable.Parse("1 0 0:1 / /oldroot rw - ext4 a rw\n2 0 0:2 / /oldroot2 rw - ext4 b rw\n");
        Assert.Equal(["/oldroot"], mounts.UnmountOrder("/oldroot").Select(m => m.MountPoint));
    }

    // Read off a real kernel (6.1): tmpfs "child" mounted, then tmpfs "parent", then
    // `mount --move` of child into parent. The moved mount keeps its earlier place in the list.
    private const string MovedChildBeforeItsParent = """
        42 1 0:30 / /tmp rw,relatime - tmpfs tmpfs rw
        62 63 0:38 / /tmp/mv/parent/child rw,relatime - tmpfs child rw
        63 42 0:39 / /tmp/mv/parent rw,relatime - tmpfs parent rw
        """;

    [Fact]
    public void A_moved_mount_comes_off_before_the_mount_it_was_moved_onto()
    {
        var order = MountTable.Parse(MovedChildBeforeItsParent).UnmountOrder("/tmp/mv").Select(m => m.MountPoint);
        Assert.Equal(["/tmp/mv/parent/child", "/tmp/mv/parent"], order);
    }

    [Fact]
    public void Stacked_mounts_come_off_top_first()
    {
        var mounts = MountTable.Parse("1 0 0:1 / /oldroot rw - ext4 a rw\n5 1 0:2 / /oldroot/run rw - tmpfs lower rw\n3 5 0:3 / /oldroot/run rw - tmpfs upper rw\n");
        Assert.Equal(["upper", "lower", "a"], mounts.UnmountOrder("/oldroot").Select(m => m.Source));
    }

    [Fact]
    public void A_parent_cycle_does_not_hang()
    {
        var mounts = MountTable.Parse("1 2 0:1 / /a rw - tmpfs x rw\n2 1 0:2 / /a/b rw - tmpfs y rw\n");
        Assert.Equal(2, mounts.UnmountOrder("/a").Count);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("1 2 3 4 5 6 7")]
    [InlineData("x 0 0:1 / / rw - ext4 a rw")]
    [InlineData("name rw,vers=3.1.1 - cifs //server/share rw")]
    public void A_malformed_line_is_set_aside_and_the_rest_is_kept(string line)
    {
        var mounts = MountTable.Parse("30 22 7:0 / /oldroot rw - ext4 /dev/loop0 rw\n" + line + "\n40 30 0:20 / /oldroot/proc rw - proc proc rw\n");
        Assert.Equal([line], mounts.Malformed);
        Assert.Equal(["/oldroot/proc", "/oldroot"], mounts.UnmountOrder("/oldroot").Select(m => m.MountPoint));
    }

    [Fact]
    public void A_cifs_source_with_a_newline_costs_only_its_own_line()
    {
        // The kernel does not escape a newline in a cifs source: the line breaks in two.
        const string text = "30 22 7:0 / /oldroot rw - ext4 /dev/loop0 rw\n35 30 0:40 / /oldroot/share rw - cifs //server/odd\nname rw,vers=3.1.1\n36 30 0:5 / /oldroot/dev rw - devtmpfs devtmpfs rw\n";
        var mounts = MountTable.Parse(text);
        Assert.Equal(["/oldroot", "/oldroot/share", "/oldroot/dev"], mounts.Entries.Select(m => m.MountPoint));
        Assert.Equal(["name rw,vers=3.1.1"], mounts.Malformed);
    }

    [Theory]
    [InlineData(@"a\040b", "a b")]
    [InlineData(@"a\134b", @"a\b")]
    [InlineData(@"a\9", @"a\9")]
    [InlineData(@"end\04", @"end\04")]
    public void Unescape(string field, string expected) => Assert.Equal(expected, MountTable.Unescape(field));

    [Fact]
    public void A_cifs_mount_under_another_is_a_DFS_link_s_and_goes_with_the_share_it_is_under()
    {
        var table = MountTable.Parse("""
            22 1 0:19 / / rw - tmpfs tmpfs rw
            50 22 0:40 / /run/initramfs/share rw - cifs //192.0.2.11/dfs rw
            51 50 0:41 / /run/initramfs/share/golden rw - cifs //192.0.2.11/dfs/golden rw
            52 22 0:42 / /run/initramfs/records rw - cifs //192.0.2.11/dfs rw
            53 22 0:43 / /run/initramfs/share2 rw - cifs //192.0.2.12/boot rw
            """);
        Assert.Equal(["/run/initramfs/share", "/run/initramfs/records", "/run/initramfs/share2"], table.OutermostCifs().Select(m => m.MountPoint));
    }
}
