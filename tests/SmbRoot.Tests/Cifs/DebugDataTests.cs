using SmbRoot.Core.Cifs;
using Xunit;

namespace SmbRoot.Tests.Cifs;

public class DebugDataTests
{
    // The session part of /proc/fs/cifs/DebugData (Linux 6.1), trimmed.
    private const string Signed = """
        Display Internal CIFS Data Structures for Debugging
        ---------------------------------------------------
        Servers:
        1) ConnectionId: 0x1 Hostname: 10.0.2.2
        Number of credits: 8190 Dialect 0x311 signed
        TCP status: 1 Instance: 1
        Local Users To Server: 1 SecMode: 0x1 Req On Wire: 0 In Send: 0 In MaxReq Wait: 0

        	Sessions:
        	1) Address: 10.0.2.2 Uses: 1 Capability: 0x300045	Session Status: 1
        	Security type: RawNTLMSSP  SessionId: 0x4c4a93f8 signed
        	User: 0 Cred User: 0
        """;

    [Fact]
    public void A_signed_session()
    {
        Assert.Equal([new DebugData.Protection(Signed: true, Encrypted: false)], DebugData.Sessions(Signed));
        Assert.Equal("signed", DebugData.Sessions(Signed)[0].ToString());
    }

    [Theory]
    [InlineData("\tSecurity type: RawNTLMSSP  SessionId: 0x4c4a93f8 encrypted signed", true, true)]
    [InlineData("\tSecurity type: RawNTLMSSP  SessionId: 0x4c4a93f8 encrypted(gcm256)", false, true)]
    [InlineData("\tSecurity type: RawNTLMSSP  SessionId: 0x4c4a93f8 signed (AES-GMAC)", true, false)]
    [InlineData("\tSecurity type: RawNTLMSSP  SessionId: 0x4c4a93f8", false, false)]
    public void Every_form_the_kernels_print(string line, bool signed, bool encrypted)
    {
        Assert.Equal([new DebugData.Protection(signed, encrypted)], DebugData.Sessions(line));
    }

    [Fact]
    public void No_session_is_no_answer() => Assert.Empty(DebugData.Sessions("Servers:\n"));

    [Theory]
    [InlineData("rw,vers=3.1.1,seal,hard", "every message of the share is encrypted (seal)")]
    [InlineData("rw,vers=3.1.1,hard", "every message of the session is signed")]
    public void The_share_is_described_from_its_options_and_its_session(string options, string expected)
    {
        Assert.Equal(expected, DebugData.DescribeShare(Signed, options));
    }

    [Fact]
    public void An_unsigned_session_is_said_plainly()
    {
        Assert.Equal("the session is neither signed nor encrypted", DebugData.DescribeShare("\tSecurity type: RawNTLMSSP  SessionId: 0x1", "rw"));
    }
}
