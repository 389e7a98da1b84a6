namespace SmbRoot.Core.Dhcp;

/// <summary>
/// When guard mode renews the DHCP lease, and what each answer means; no sockets and no waiting,
/// so the poll loop that drives it never blocks. At T1 (RFC 2131 4.4.5, half the lease) a REQUEST
/// goes out; it is sent again after 2, 4 and 8 s; with no ACK, the next try is 30 s later. The
/// address never changes under the root: it is permanent in the kernel.
/// </summary>
public sealed class LeaseRenewal(DhcpLease lease, TimeSpan now, Func<uint> newTransactionId)
{
    public static readonly TimeSpan RetryLater = TimeSpan.FromSeconds(30);
    private const int Attempts = 3;

    private TimeSpan _renewAt = now + lease.RenewalTime;
    private uint? _xid;
    private int _attempt;
    private TimeSpan _answerBy;

    public DhcpLease Lease { get; private set; } = lease;

    /// <summary>The transaction a reply must carry while a REQUEST is out; null otherwise.</summary>
    public uint? Waiting => _xid;

    public TimeSpan NextDeadline => _xid is null ? _renewAt : _answerBy;

    public abstract record Step
    {
        public sealed record Send(uint TransactionId) : Step;

        public sealed record GaveUp(TimeSpan RetryIn) : Step;
    }

    /// <summary>What is due at <paramref name="now"/>: a REQUEST (first or again), giving up for now, or nothing.</summary>
    public Step? Due(TimeSpan now)
    {
        if (now < NextDeadline) return null;
        if (_xid is null)
        {
            _xid = newTransactionId();
            _attempt = 0;
        }
        else if (++_attempt >= Attempts)
        {
            _xid = null;
            _renewAt = now + RetryLater;
            return new Step.GaveUp(RetryLater);
        }
        _answerBy = now + TimeSpan.FromSeconds(2 << _attempt);
        return new Step.Send(_xid.Value);
    }

    public enum Result { Renewed, Refused, OtherAddress }

    /// <summary>An ACK or NAK from the lease's server for the REQUEST that is out; null for anything else (another transaction or server, an OFFER).</summary>
    public Result? OnReply(DhcpMessage reply, TimeSpan now)
    {
        if (_xid is not { } xid || reply.TransactionId != xid || !Lease.Server.Equals(reply.ServerIdentifier)) return null;
        if (reply.Type == DhcpMessageType.Nak)
        {
            _xid = null;
            _renewAt = now + RetryLater;
            return Result.Refused;
        }
        if (reply.Type != DhcpMessageType.Ack || DhcpLease.FromReply(reply) is not { } renewed) return null;
        _xid = null;
        if (!renewed.Address.Equals(Lease.Address))
        {
            _renewAt = now + RetryLater;
            return Result.OtherAddress;
        }
        Lease = renewed;
        _renewAt = now + renewed.RenewalTime;
        return Result.Renewed;
    }
}
