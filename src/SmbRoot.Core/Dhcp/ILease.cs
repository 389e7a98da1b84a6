using System.Net;

namespace SmbRoot.Core.Dhcp;

/// <summary>What guard mode's renewal needs of a DHCP or DHCPv6 lease.</summary>
public interface ILease
{
    IPAddress Address { get; }

    /// <summary>The server that gave it, as the console names it.</summary>
    string ServerName { get; }

    /// <summary>How long the server lends the address for.</summary>
    TimeSpan Lifetime { get; }

    /// <summary>When to ask for more (T1).</summary>
    TimeSpan RenewalTime { get; }
}
