using SmbRoot.Core.Overlay;
using Xunit;

namespace SmbRoot.Tests.Overlay;

public class MachineIdTests
{
    [Fact]
    public void Thirty_two_lower_case_hex_digits_of_a_version_4_uuid()
    {
        var random = Enumerable.Repeat((byte)0xff, 16).ToArray();
        Assert.Equal("ffffffffffff4fffbfffffffffffffff", MachineId.Format(random));
        Assert.Equal("00000000000040008000000000000000", MachineId.Format(new byte[16]));
    }

    [Fact]
    public void Sixteen_bytes_or_nothing() => Assert.Throws<ArgumentException>(() => MachineId.Format(new byte[15]));
}
