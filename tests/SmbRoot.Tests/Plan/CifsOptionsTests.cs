using System.Text.RegularExpressions;
using System.Net;
using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Plan;

public class CifsOptionsTests
{
    private static readonly CifsRoot Root = CifsRoot.Parse("cifs://files/boot/r.img");
    private static readonly IPAddress Server = IPAddress.Parse("10.0.0.5");

    [Fact]
    public void Defaults_are_smb_3_1_1_hard_and_the_servers_address()
    {
        string options = CifsOptions.Build(Root, Server, new Credentials("node", "pw", null), [], readOnly: false, Integrity.Sign);
        Assert.Equal("vers=3.1.1,hard,sign,ip=10.0.0.5,username=node,password=pw,rw", options);
    }

    [Theory]
    [InlineData(Integrity.Sign, "sign")]
    [InlineData(Integrity.Seal, "seal")]
    public void Integrity_is_asked_of_the_kernel_once(Integrity integrity, string option)
    {
        Assert.Contains($",{option},", CifsOptions.Build(Root, Server, new Credentials("node", "pw", null), [], false, integrity));
        string given = CifsOptions.Build(Root, Server, new Credentials("node", "pw", null), [option], false, integrity);
        Assert.Single(Regex.Matches(given, $"\\b{option}\\b"));
        string off = CifsOptions.Build(Root, Server, new Credentials("node", "pw", null), [], false, Integrity.Off);
        Assert.DoesNotMatch("sign|seal", off);
        Assert.Contains(",sign,", CifsOptions.Build(Root, Server, new Credentials("node", "pw", null), [], false, Integrity.Seal));
    }

    [Fact]
    public void Commas_in_the_password_are_doubled_and_redacted_whole()
    {
        string options = CifsOptions.Build(CifsRoot.Parse("cifs://10.0.0.5:4445/boot/r.img"), Server,
            new Credentials("node", "a,b,,c", "CORP"), ["vers=3.0", "soft"], readOnly: true, Integrity.Off);
        Assert.Equal("ip=10.0.0.5,port=4445,username=node,domain=CORP,password=a,,b,,,,c,ro,vers=3.0,soft", options);
        Assert.Equal("ip=10.0.0.5,port=4445,username=node,domain=CORP,password=***,ro,vers=3.0,soft", CifsOptions.Redact(options));
    }

    [Fact]
    public void No_credentials_is_a_guest_mount_and_the_url_user_wins()
    {
        Assert.Contains(",guest,", CifsOptions.Build(Root, Server, Credentials.None, [], false, Integrity.Sign));
        string options = CifsOptions.Build(CifsRoot.Parse("cifs://jane@files/boot/r.img"), Server, new Credentials("file-user", "pw", null), [], false, Integrity.Sign);
        Assert.Contains("username=jane,", options);
        Assert.Throws<PlanException>(() => CifsOptions.Build(Root, Server, new Credentials(null, "pw", null), [], false, Integrity.Sign));
    }

    [Fact]
    public void Accepts_known_options()
    {
        Assert.Equal(["vers=3.0", "seal", "cache=none", "file_mode=0644"], CifsOptions.ParseExtra("vers=3.0,seal,cache=none,file_mode=0644"));
        Assert.Empty(CifsOptions.ParseExtra(null));
    }

    [Theory]
    [InlineData("password=x", "world-readable")]
    [InlineData("PASS=x", "world-readable")]
    [InlineData("credentials=/x", "rd.cifs.credentials")]
    [InlineData("ip=1.2.3.4", "comes from root=")]
    [InlineData("vers=4", "'vers=4' has a missing or invalid value")]
    [InlineData("rsize", "'rsize' has a missing or invalid value")]
    [InlineData("seal=1", "'seal' takes no value")]
    [InlineData("frobnicate", "unknown cifs option 'frobnicate'")]
    [InlineData("seal,,sign", "empty option")]
    [InlineData("hard,soft", "both 'hard' and 'soft'")]
    [InlineData("nobrl", "byte-range locks")]
    public void Refuses_bad_or_unsafe_options(string value, string expected)
    {
        var error = Assert.Throws<PlanException>(() => CifsOptions.ParseExtra(value));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("a=1,password=secret", "a=1,password=***")]
    [InlineData("password=se,,cret,ro", "password=***,ro")]
    [InlineData("password=", "password=***")]
    [InlineData("vers=3.1.1", "vers=3.1.1")]
    public void Redact_removes_the_whole_password(string options, string expected)
    {
        Assert.Equal(expected, CifsOptions.Redact(options));
    }
}
