using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Plan;

public class MountOptionsTests
{
    [Fact]
    public void Flags_become_bits_and_the_rest_is_filesystem_data()
    {
        var options = MountOptions.Parse("noatime,nodev,inode64,logbsize=256k", readOnly: false);
        Assert.Equal(MountOptions.MS_NOATIME | MountOptions.MS_NODEV, options.Flags);
        Assert.Equal("inode64,logbsize=256k", options.Data);
    }

    [Fact]
    public void Read_only_sets_MS_RDONLY_and_later_words_override_earlier_ones()
    {
        Assert.Equal(MountOptions.MS_RDONLY, MountOptions.Parse(null, readOnly: true).Flags);
        Assert.Equal(0ul, MountOptions.Parse("nosuid,suid", readOnly: false).Flags);
    }

    [Theory]
    [InlineData("rw", true, "contradicts ro")]
    [InlineData("a b", false, "space or control")]
    public void Bad_rootflags_are_refused(string rootflags, bool readOnly, string expected)
    {
        Assert.Contains(expected, Assert.Throws<PlanException>(() => MountOptions.Parse(rootflags, readOnly)).Message);
    }
}
