using System.Net;
using SmbRoot.Core.Dhcp;

namespace SmbRoot.Tests.Dhcp;

/// <summary>DHCP replies as the lab's server sends them, for the lease and renewal tests.</summary>
internal static class TestReplies
{
    public static readonly byte[] Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    public static readonly IPAddress Server = IPAddress.Parse("192.168.77.1");

    /// <summary>A reply of <paramref name="type"/> from <see cref="Server"/>: mask /24, router, a lease of one hour unless <paramref name="extra"/> says otherwise.</summary>
    public static DhcpMessage Reply(DhcpMessageType type, uint xid = 42, string address = "192.168.77.104", params (byte Code, byte[] Value)[] extra)
    {
        var options = new Dictionary<byte, byte[]>
        {
            [DhcpMessage.OptionMessageType] = [(byte)type],
            [DhcpMessage.OptionServerId] = Server.GetAddressBytes(),
            [DhcpMessage.OptionSubnetMask] = [255, 255, 255, 0],
            [DhcpMessage.OptionRouter] = Server.GetAddressBytes(),
            [DhcpMessage.OptionLeaseTime] = Seconds(3600),
        };
        foreach (var (code, value) in extra) options[code] = value;
        return new DhcpMessage(DhcpMessage.BootReply, xid, 0, false, IPAddress.Any, IPAddress.Parse(address), Server, Mac, options);
    }

    public static byte[] Seconds(uint seconds) => [(byte)(seconds >> 24), (byte)(seconds >> 16), (byte)(seconds >> 8), (byte)seconds];
}
