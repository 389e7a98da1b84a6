using System.Net;
using SmbRoot.Core.Dns;
using Xunit;

namespace SmbRoot.Tests.Dns;

public class DnsMessageTests
{
    /// <summary>An answer as dnsmasq sends it: the question, then a CNAME and an A record using compression pointers.</summary>
    private const string Name = "files.lab.example";

    private static byte[] Answer(ushort id, byte rcode = 0, string name = Name, byte[]? address = null)
    {
        address ??= [192, 168, 77, 1];
        var type = address.Length == 16 ? DnsMessage.RecordType.Aaaa : DnsMessage.RecordType.A;
        var query = DnsMessage.Query(id, name, type);
        var answer = new List<byte>(query);
        answer[2] = 0x81; // QR, RD
        answer[3] = (byte)(0x80 | rcode); // RA
        answer[7] = 2; // ANCOUNT
        answer.AddRange([0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, (byte)'n', (byte)'a', (byte)'s', 0xC0, 18]); // CNAME nas.lab.example
        answer.AddRange([0xC0, (byte)(12 + name.Length + 2 + 4 + 12), 0, (byte)type, 0, 1, 0, 0, 0, 60, 0, (byte)address.Length, .. address]); // A or AAAA
        return answer.ToArray();
    }

    [Fact]
    public void The_query_is_a_standard_recursive_A_question()
    {
        var query = DnsMessage.Query(0x1234, "files.lab.example.", DnsMessage.RecordType.A);
        Assert.Equal(new byte[] { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5 }, query[..13]);
        Assert.Equal(new byte[] { 0, 0, 1, 0, 1 }, query[^5..]);
        Assert.Throws<ArgumentException>(() => DnsMessage.Query(1, "a..b", DnsMessage.RecordType.A));
        Assert.Throws<ArgumentException>(() => DnsMessage.Query(1, new string('x', 64), DnsMessage.RecordType.A));
    }

    [Fact]
    public void Reads_the_address_after_a_cname()
    {
        var (status, addresses) = DnsMessage.TryReadAddresses(Answer(7), 7, Name, DnsMessage.RecordType.A);
        Assert.Equal(DnsMessage.Status.Addresses, status);
        Assert.Equal([IPAddress.Parse("192.168.77.1")], addresses);
    }

    [Fact]
    public void Errors_and_other_ids_are_told_apart()
    {
        Assert.Equal(DnsMessage.Status.NotAnswer, DnsMessage.TryReadAddresses(Answer(7), 8, Name, DnsMessage.RecordType.A).Status);
        Assert.Equal(DnsMessage.Status.NoSuchName, DnsMessage.TryReadAddresses(Answer(7, rcode: 3), 7, Name, DnsMessage.RecordType.A).Status);
        Assert.Equal(DnsMessage.Status.ServerFailure, DnsMessage.TryReadAddresses(Answer(7, rcode: 2), 7, Name, DnsMessage.RecordType.A).Status);
        Assert.Equal(DnsMessage.Status.NotAnswer, DnsMessage.TryReadAddresses(DnsMessage.Query(7, "a.b", DnsMessage.RecordType.A), 7, "a.b", DnsMessage.RecordType.A).Status);
    }

    [Fact]
    public void An_answer_to_another_question_is_not_an_answer()
    {
        Assert.Equal(DnsMessage.Status.NotAnswer, DnsMessage.TryReadAddresses(Answer(7, name: "evil.lab.example"), 7, Name, DnsMessage.RecordType.A).Status);
        Assert.Equal(DnsMessage.Status.Addresses, DnsMessage.TryReadAddresses(Answer(7), 7, "FILES.lab.example.", DnsMessage.RecordType.A).Status);
    }

    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(127, 0, 0, 1)]
    [InlineData(255, 255, 255, 255)]
    [InlineData(224, 0, 0, 251)]
    public void An_address_that_cannot_be_a_server_is_refused(byte a, byte b, byte c, byte d)
    {
        var (status, addresses) = DnsMessage.TryReadAddresses(Answer(7, address: [a, b, c, d]), 7, Name, DnsMessage.RecordType.A);
        Assert.Equal(DnsMessage.Status.UnusableAddresses, status);
        Assert.Equal([new IPAddress(new[] { a, b, c, d })], addresses);
    }


    [Fact]
    public void Compression_pointers_that_loop_are_not_an_answer_and_never_hang()
    {
        byte[] query = DnsMessage.Query(0x4242, "files.lab.example", DnsMessage.RecordType.A);
        // The question's name is a pointer to itself.
        byte[] selfQuestion = [.. query[..12], 0xC0, 12, 0, 1, 0, 1];
        selfQuestion[2] |= 0x80;
        Assert.Equal(DnsMessage.Status.NotAnswer, DnsMessage.TryReadAddresses(selfQuestion, 0x4242, "files.lab.example", DnsMessage.RecordType.A).Status);
        // The answer's name points at itself, and a second answer points at the first.
        var reply = new List<byte>(query);
        reply[2] |= 0x80;
        reply[7] = 2;
        int answer = reply.Count;
        reply.AddRange(new byte[] { 0xC0, (byte)answer, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 168, 77, 1 });
        reply.AddRange(new byte[] { 0xC0, (byte)answer, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 168, 77, 2 });
        var (status, addresses) = DnsMessage.TryReadAddresses(reply.ToArray(), 0x4242, "files.lab.example", DnsMessage.RecordType.A);
        Assert.Equal(DnsMessage.Status.Addresses, status);
        Assert.Equal(2, addresses.Count);
    }

    [Fact]
    public void AAAA_questions_read_IPv6_addresses_and_drop_the_ones_no_server_can_have()
    {
        var query = DnsMessage.Query(9, Name, DnsMessage.RecordType.Aaaa);
        Assert.Equal(new byte[] { 0, 28, 0, 1 }, query[^4..]);
        var v6 = IPAddress.Parse("fd77::1");
        var (status, addresses) = DnsMessage.TryReadAddresses(Answer(9, address: v6.GetAddressBytes()), 9, Name, DnsMessage.RecordType.Aaaa);
        Assert.Equal(DnsMessage.Status.Addresses, status);
        Assert.Equal([v6], addresses);
        // An A answer to an AAAA question is another question's answer.
        Assert.Equal(DnsMessage.Status.NotAnswer, DnsMessage.TryReadAddresses(Answer(9), 9, Name, DnsMessage.RecordType.Aaaa).Status);
        foreach (var bad in new[] { "::", "::1", "ff02::1", "fe80::1", "::ffff:192.168.77.1" })
        {
            var answer = DnsMessage.TryReadAddresses(Answer(9, address: IPAddress.Parse(bad).GetAddressBytes()), 9, Name, DnsMessage.RecordType.Aaaa);
            Assert.Equal(DnsMessage.Status.UnusableAddresses, answer.Status);
        }
    }

    [Theory]
    [InlineData("files.lab.example", true)]
    [InlineData("files.lab.example.", true)]
    [InlineData("a..b", false)]
    [InlineData("", false)]
    [InlineData("files.\u00e9t\u00e9.example", false)]
    public void A_name_a_query_can_carry(string name, bool valid)
    {
        Assert.Equal(valid, DnsMessage.IsName(name));
        Assert.False(DnsMessage.IsName("files." + new string('x', 64)));
        Assert.False(DnsMessage.IsName(string.Join('.', Enumerable.Repeat("abcdefghi", 26))));
    }
}
