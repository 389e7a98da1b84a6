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
        var mounts = MountTable.Parse(AfterPivot);
        Assert.Equal(10, mounts.Count);
        Assert.Equal(new MountEntry(35, 34, "/oldroot/run/initramfs/share", "cifs", "//10.0.2.2/boot"), mounts[6]);
        Assert.Equal("/oldroot/mnt/with space", mounts[8].MountPoint);
    }

    [Fact]
    public void Unmount_order_is_children_first_and_only_below_the_top()
    {
        var order = MountTable.UnmountOrder(MountTable.Parse(AfterPivot), "/oldroot").Select(m => m.MountPoint).ToList();
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
        Assert.Equal(["/oldroot"], MountTable.UnmountOrder(mounts, "/oldroot").Select(m => m.MountPoint));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("1 2 3 4 5 6 7")]
    [InlineData("x 0 0:1 / / rw - ext4 a rw")]
    public void Malformed_lines_are_format_errors(string line)
    {
        Assert.Throws<FormatException>(() => MountTable.Parse(line));
    }

    [Theory]
    [InlineData(@"a\040b", "a b")]
    [InlineData(@"a\134b", @"a\b")]
    [InlineData(@"a\9", @"a\9")]
    [InlineData(@"end\04", @"end\04")]
    public void Unescape(string field, string expected) => Assert.Equal(expected, MountTable.Unescape(field));
}
