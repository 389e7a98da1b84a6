namespace SmbRoot.Core.Dhcp;

/// <summary>
/// When guard mode renews a lease, and what each answer means; no sockets and no waiting, so the
/// poll loop that drives it never blocks. At the renewal time (T1: half the lease in DHCPv4, RFC
/// 2131 4.4.5; the server's T1 in DHCPv6, RFC 8415 21.4) a request goes out; it is sent again after
/// 2, 4 and 8 s; with no answer, the next try is 30 s later. The address never changes under the
/// root: it is permanent in the kernel. <see cref="LeaseRenewal"/> and <see cref="Lease6Renewal"/>
/// say which answers count.
/// </summary>
public abstract class Renewal<TLease, TReply>(TLease lease, TimeSpan now, Func<uint> newTransactionId) where TLease : class, ILease
{
    public static readonly TimeSpan RetryLater = TimeSpan.FromSeconds(30);
    private const int Attempts = 3;

    private TimeSpan _renewAt = now + lease.RenewalTime;
    private uint? _xid;
    private int _attempt;
    private TimeSpan _answerBy;

    public TLease Lease { get; private set; } = lease;

    /// <summary>The transaction an answer must carry while a request is out; null otherwise.</summary>
    public uint? Waiting => _xid;

    public TimeSpan NextDeadline => _xid is null ? _renewAt : _answerBy;

    public abstract record Step
    {
        public sealed record Send(uint TransactionId) : Step;

        public sealed record GaveUp(TimeSpan RetryIn) : Step;
    }

    /// <summary>What is due at <paramref name="now"/>: a request (first or again), giving up for now, or nothing.</summary>
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

    /// <summary>The lease server's answer to the request that is out; null for anything else (another transaction or server, an offer).</summary>
    public Result? OnReply(TReply reply, TimeSpan now)
    {
        if (_xid is not { } xid || Judge(reply, xid, Lease) is not var (result, renewed)) return null;
        _xid = null;
        if (result == Result.Renewed)
        {
            Lease = renewed!;
            _renewAt = now + renewed!.RenewalTime;
        }
        else
        {
            _renewAt = now + RetryLater;
        }
        return result;
    }

    /// <summary>What an answer means for <paramref name="current"/>: null when it is not the answer to <paramref name="xid"/> from the lease's server.</summary>
    protected abstract (Result Result, TLease? Renewed)? Judge(TReply reply, uint xid, TLease current);
}

/// <summary>DHCPv4: an ACK renews, a NAK refuses, both only from the lease's server.</summary>
public sealed class LeaseRenewal(DhcpLease lease, TimeSpan now, Func<uint> newTransactionId) : Renewal<DhcpLease, DhcpMessage>(lease, now, newTransactionId)
{
    protected override (Result Result, DhcpLease? Renewed)? Judge(DhcpMessage reply, uint xid, DhcpLease current)
    {
        if (reply.TransactionId != xid || !current.Server.Equals(reply.ServerIdentifier)) return null;
        if (reply.Type == DhcpMessageType.Nak) return (Result.Refused, null);
        if (reply.Type != DhcpMessageType.Ack || DhcpLease.FromReply(reply) is not { } renewed) return null;
        return renewed.Address.Equals(current.Address) ? (Result.Renewed, renewed) : (Result.OtherAddress, null);
    }
}

/// <summary>DHCPv6: a REPLY from the lease's server renews the address, or refuses it (a status, no address: RFC 8415 18.2.10.1).</summary>
public sealed class Lease6Renewal(Dhcp6Lease lease, TimeSpan now, Func<uint> newTransactionId) : Renewal<Dhcp6Lease, Dhcp6Message>(lease, now, newTransactionId)
{
    protected override (Result Result, Dhcp6Lease? Renewed)? Judge(Dhcp6Message reply, uint xid, Dhcp6Lease current)
    {
        if (reply.TransactionId != xid || reply.Type != Dhcp6MessageType.Reply || !reply.ServerId.AsSpan().SequenceEqual(current.ServerId)) return null;
        if (Dhcp6Lease.FromReply(reply, out _) is not { } renewed) return (Result.Refused, null);
        return renewed.Address.Equals(current.Address) ? (Result.Renewed, renewed) : (Result.OtherAddress, null);
    }
}
