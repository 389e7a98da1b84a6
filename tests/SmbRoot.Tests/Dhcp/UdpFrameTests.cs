using System.Net;
using SmbRoot.Core.Dhcp;
using Xunit;

namespace SmbRoot.Tests.Dhcp;

public class UdpFrameTests
{
    [Fact]
    public void Frames_round_trip_with_valid_checksums()
    {
        byte[] payload = [1, 2, 3, 4, 5];
        var packet = UdpFrame.Build(IPAddress.Parse("10.0.0.2"), IPAddress.Broadcast, 68, 67, payload);
        Assert.Equal(0, UdpFrame.Checksum(packet.AsSpan(0, 20), 0));
        Assert.Equal(payload, UdpFrame.TryParse(packet, 67));
        Assert.Null(UdpFrame.TryParse(packet, 68));
    }

    [Fact]
    public void A_known_header_checksum()
    {
        // RFC 1071 section 3: these words sum to 0xDDF2, whose complement is the checksum.
        Assert.Equal((ushort)0x220D, UdpFrame.Checksum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7], 0));
    }

    [Fact]
    public void Corruption_is_refused()
    {
        var packet = UdpFrame.Build(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"), 67, 68, new byte[40]);
        var corrupt = (byte[])packet.Clone();
        corrupt[^1] ^= 0xFF;
        Assert.Null(UdpFrame.TryParse(corrupt, 68));
    }
}
