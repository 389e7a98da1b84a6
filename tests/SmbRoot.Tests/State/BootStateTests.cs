using SmbRoot.Core.State;
using Xunit;

namespace SmbRoot.Tests.State;

public class BootStateTests
{
    [Fact]
    public void Round_trips()
    {
        var state = new BootState("/run/initramfs/share", "//10.0.2.2/boot", "machines/a.img", "/dev/loop0", "xfs", "eth0", "10.0.2.15/24", "10.0.2.2", "guard");
        Assert.Equal(state, BootState.Parse(state.Serialize()));
        var share = state with { ImagePath = null, LoopDevice = null, FileSystem = null, Gateway = null };
        Assert.Equal(share, BootState.Parse(share.Serialize()));
    }

    [Fact]
    public void A_missing_key_is_named()
    {
        Assert.Contains("no unc= line", Assert.Throws<FormatException>(() => BootState.Parse("share_mount=/x\n")).Message);
    }
}
