namespace SmbRoot.Interop;

/// <summary>A datagram socket the guard's poll loop can wait on (DHCP's packet socket, DHCPv6's UDP socket).</summary>
public interface IDatagramSocket : IDisposable
{
    int Fd { get; }

    /// <summary>The next datagram, or null when none comes within <paramref name="timeout"/> (zero: only what is there now).</summary>
    byte[]? Receive(TimeSpan timeout);
}
