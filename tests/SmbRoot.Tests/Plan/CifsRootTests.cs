using System.Net;
using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Plan;

public class CifsRootTests
{
    [Fact]
    public void An_image_in_a_multi_level_path()
    {
        var root = CifsRoot.Parse("cifs://10.0.0.5/boot/machines/site-a/node7.img");
        Assert.Equal("10.0.0.5", root.Server);
        Assert.Equal(IPAddress.Parse("10.0.0.5"), root.ServerAddress);
        Assert.Equal(445, root.Port);
        Assert.Equal("boot", root.Share);
        Assert.Equal(["machines", "site-a"], root.Directory);
        Assert.Equal("node7.img", root.ImageName);
        Assert.True(root.IsImage);
        Assert.Equal("//10.0.0.5/boot", root.Unc);
        Assert.Equal("machines/site-a/node7.img", root.ImagePathInShare);
    }

    [Fact]
    public void User_domain_port_and_percent_encoding()
    {
        var root = CifsRoot.Parse("cifs://CORP%5Cjane@files.example.com:4445/root%20images/r%C3%A9seau/a%25b.img");
        Assert.Equal("jane", root.User);
        Assert.Equal("CORP", root.Domain);
        Assert.Equal("files.example.com", root.Server);
        Assert.Null(root.ServerAddress);
        Assert.Equal(4445, root.Port);
        Assert.Equal("root images", root.Share);
        Assert.Equal(["réseau"], root.Directory);
        Assert.Equal("a%b.img", root.ImageName);
    }

    [Fact]
    public void A_trailing_slash_makes_the_share_directory_the_root()
    {
        var root = CifsRoot.Parse("cifs://server/share/roots/web1/");
        Assert.False(root.IsImage);
        Assert.Equal("//server/share/roots/web1", root.Unc);
    }

    [Fact]
    public void IPv6_in_brackets()
    {
        var root = CifsRoot.Parse("cifs://[fd00::5]:1445/boot/r.img");
        Assert.Equal(IPAddress.Parse("fd00::5"), root.ServerAddress);
        Assert.Equal(1445, root.Port);
        Assert.Equal("//[fd00::5]/boot", root.Unc);
        Assert.Equal("cifs://[fd00::5]:1445/boot/r.img", root.ToString());
    }

    [Theory]
    [InlineData("cifs://[fe80::5%eth0]/boot/r.img", "eth0")]
    [InlineData("cifs://[fe80::5%25eth1]/boot/r.img", "eth1")]
    [InlineData("cifs://[fe80::5%2]/boot/r.img", "2")]
    [InlineData("cifs://[fe80::5]/boot/r.img", null)]
    public void A_link_local_server_keeps_its_scope_apart_from_the_address(string value, string? scope)
    {
        var root = CifsRoot.Parse(value);
        Assert.Equal(IPAddress.Parse("fe80::5"), root.ServerAddress);
        Assert.Equal(scope, root.ServerScope);
        Assert.Equal("//[fe80::5]/boot", root.Unc);
    }

    [Theory]
    [InlineData("cifs://[2001:db8::5%eth0]/boot/r.img", "belongs only to a link-local address")]
    [InlineData("cifs://[fe80::5%]/boot/r.img", "must name an interface")]
    [InlineData("cifs://[fe80::5%a/b]/boot/r.img", "'[' without ']'")]
    public void A_bad_scope_is_named(string value, string expected) =>
        Assert.Contains(expected, Assert.Throws<PlanException>(() => CifsRoot.Parse(value)).Message);

    [Theory]
    [InlineData("nfs://server/share/r.img", "expected cifs://")]
    [InlineData("cifs://10.0.2.2", "no share after the server")]
    [InlineData("cifs://10.0.2.2/", "no share name")]
    [InlineData("cifs://10.0.2.2/boot", "names a share but no image file")]
    [InlineData("cifs://user:pw@10.0.2.2/boot/r.img", "password in the URL is refused")]
    [InlineData("cifs://10.0.2.2:0/boot/r.img", "port '0'")]
    [InlineData("cifs://10.0.2.2:99999/boot/r.img", "port '99999'")]
    [InlineData("cifs://10.0.2.2:x/boot/r.img", "port 'x'")]
    [InlineData("cifs://10.0.2.256/boot/r.img", "not a valid IP address")]
    [InlineData("cifs://bad_host!/boot/r.img", "neither an IP address nor a valid host name")]
    [InlineData("cifs://[fd00::5/boot/r.img", "'[' without ']'")]
    [InlineData("cifs://[10.0.0.1]/boot/r.img", "is not an IPv6 address")]
    [InlineData("cifs://s/boot//r.img", "empty path element")]
    [InlineData("cifs://s/boot/../r.img", "'..' is not allowed")]
    [InlineData("cifs://s/boot/a%2Fb.img", "decodes to a slash")]
    [InlineData("cifs://s/boot/a%4.img", "bad percent-encoding")]
    [InlineData("cifs://s/boot/a%FF.img", "valid UTF-8")]
    [InlineData("cifs://s/bo:ot/r.img", "share name 'bo:ot'")]
    [InlineData("cifs://@s/boot/r.img", "empty user name")]
    [InlineData("cifs://a%2Cb@s/boot/r.img", "contains a comma")]
    public void Malformed_values_name_the_problem(string value, string expected)
    {
        var error = Assert.Throws<PlanException>(() => CifsRoot.Parse(value));
        Assert.Contains(expected, error.Message);
    }
}
