using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Plan;

public class CredentialsTests
{
    [Fact]
    public void Reads_the_mount_cifs_format()
    {
        var credentials = Credentials.Parse("# boot account\r\nusername=node7\npassword= s3cret, with=signs \ndomain=CORP\n", "/c");
        Assert.Equal("node7", credentials.UserName);
        Assert.Equal(" s3cret, with=signs ", credentials.Password);
        Assert.Equal("CORP", credentials.Domain);
    }

    [Fact]
    public void Short_keys_and_an_empty_file()
    {
        Assert.Equal(new Credentials("u", "p", "d"), Credentials.Parse("user=u\npass=p\ndom=d", "/c"));
        Assert.Equal(Credentials.None, Credentials.Parse("", "/c"));
    }

    [Fact]
    public void ToString_never_shows_the_password()
    {
        string text = new Credentials("u", "hunter2", null).ToString();
        Assert.DoesNotContain("hunter2", text);
        Assert.Contains("password set", text);
    }

    [Theory]
    [InlineData("username", "line 1: expected key=value")]
    [InlineData("\n\ntoken=abc", "line 3: unknown key 'token'")]
    [InlineData("username=a\nusername=b", "line 2: username= is given twice")]
    [InlineData("username=a,b", "line 1: the user name contains a comma")]
    [InlineData("\ndomain=a,b", "line 2: the domain contains a comma")]
    public void Malformed_files_name_the_line(string text, string expected)
    {
        var error = Assert.Throws<PlanException>(() => Credentials.Parse(text, "/etc/smbroot/credentials"));
        Assert.Contains("/etc/smbroot/credentials " + expected, error.Message);
    }

    [Fact]
    public void An_error_does_not_echo_the_password()
    {
        var error = Assert.Throws<PlanException>(() => Credentials.Parse("password=hunter2\npassword=hunter3", "/c"));
        Assert.DoesNotContain("hunter", error.Message);
    }
}
