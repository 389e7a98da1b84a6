using Microsoft.Extensions.Logging;
using SmbRoot.Core.Dhcp;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Network;

/// <summary>
/// One lease (DHCP or DHCPv6) kept alive from guard mode's poll loop: the renewal schedule
/// decides, this sends and reads, with a socket open only while a renewal waits for its answer.
/// </summary>
/// <param name="protocol">"DHCP" or "DHCPv6", for the console</param>
/// <param name="open">opens the socket on the root's interface</param>
/// <param name="send">sends the renewal with a transaction id for the lease held</param>
/// <param name="read">a datagram as an answer to this machine, or null</param>
public sealed class LeaseKeeper<TLease, TReply, TSocket>(ILogger log, string protocol, Renewal<TLease, TReply> renewal,
    Func<TSocket> open, Action<TSocket, uint, TLease> send, Func<byte[], TReply?> read)
    : IDisposable where TLease : class, ILease where TReply : class where TSocket : class, IDatagramSocket
{
    private TSocket? _socket;

    public TLease Lease => renewal.Lease;

    /// <summary>The socket while a renewal waits for its answer; -1 otherwise.</summary>
    public int PollFd => _socket?.Fd ?? -1;

    public TimeSpan NextDeadline => renewal.NextDeadline;

    public void OnTimer(TimeSpan now)
    {
        if (renewal.Due(now) is not { } step) return;
        var lease = renewal.Lease;
        try
        {
            switch (step)
            {
                case Renewal<TLease, TReply>.Step.Send request:
                    _socket ??= open();
                    send(_socket, request.TransactionId, lease);
                    break;
                case Renewal<TLease, TReply>.Step.GaveUp gaveUp:
                    Close();
                    log.Warn($"guard: the {protocol} server {lease.ServerName} did not renew the lease on {lease.Address}; " +
                        $"keeping the address and asking again in {gaveUp.RetryIn.TotalSeconds:0}s");
                    break;
            }
        }
        catch (SysException e)
        {
            log.Warn($"guard: renewing the {protocol} lease failed: {e.Message}");
        }
    }

    public void OnReadable(TimeSpan now)
    {
        while (_socket?.Receive(TimeSpan.Zero) is { } packet)
        {
            if (read(packet) is not { } reply) continue;
            var held = renewal.Lease.Address;
            switch (renewal.OnReply(reply, now))
            {
                case Renewal<TLease, TReply>.Result.Renewed:
                    log.Debug($"guard: {protocol} lease renewed by {renewal.Lease.ServerName} for {renewal.Lease.Lifetime.TotalSeconds:0}s");
                    break;
                case Renewal<TLease, TReply>.Result.Refused:
                    log.Warn($"guard: the {protocol} server refused to renew {held}; keeping the address and asking again in 30s");
                    break;
                case Renewal<TLease, TReply>.Result.OtherAddress:
                    log.Warn($"guard: the {protocol} server now gives another address instead of {held}; keeping the root's address");
                    break;
                default:
                    continue;
            }
            Close();
        }
    }

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
    }

    public void Dispose() => Close();
}
