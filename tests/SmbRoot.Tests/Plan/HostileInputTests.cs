using System.Net;
using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Plan;

/// <summary>Command lines and credentials made to confuse the parser or to leak a secret: each gets a clear PlanException, and no message echoes a secret.</summary>
public class HostileInputTests
{
    private static BootPlan Plan(string cmdline) => BootPlan.Parse(KernelCommandLine.Parse(cmdline));

    private static string Problems(string cmdline) => Assert.Throws<PlanException>(() => Plan(cmdline)).Message;

    [Theory]
    [InlineData("ip=08.0.0.1::08.0.0.9:255.0.0.0:h:eth0:off", "8.0.0.1", "8.0.0.9")]
    [InlineData("ip=192.168.001.010::192.168.001.001:255.255.255.0:h:eth0:off", "192.168.1.10", "192.168.1.1")]
    public void Leading_zeros_in_ip_are_decimal_as_the_kernel_reads_them(string ip, string address, string gateway)
    {
        var network = Plan("root=cifs://10.0.2.2/boot/r.img " + ip).Network;
        Assert.Equal(IPAddress.Parse(address), network.Address);
        Assert.Equal(IPAddress.Parse(gateway), network.Gateway);
    }

    [Fact]
    public void Leading_zeros_in_the_server_address_are_decimal_too()
    {
        Assert.Equal(IPAddress.Parse("10.0.2.8"), Plan("root=cifs://010.0.2.08/boot/r.img ip=dhcp").Root.ServerAddress);
    }


    [Theory]
    [InlineData("root=cifs://jane%3Asecret@10.0.2.2/boot/r.img")]
    [InlineData("root=cifs://jane%3asecret@10.0.2.2/boot/r.img")]
    [InlineData("root=cifs://jane:secret@10.0.2.2/boot/r.img")]
    public void A_password_in_the_url_is_refused_encoded_or_not_and_not_echoed(string root)
    {
        string message = Problems(root + " ip=dhcp");
        Assert.Contains("a password in the URL is refused", message);
        Assert.DoesNotContain("secret", message);
    }

    [Theory]
    [InlineData("root=cifs://jane%00@10.0.2.2/boot/r.img")]
    [InlineData("root=cifs://CORP%5Cjane%0A@10.0.2.2/boot/r.img")]
    public void A_control_character_in_the_user_is_refused(string root)
    {
        Assert.Contains("control character", Problems(root + " ip=dhcp"));
    }

    [Theory]
    [InlineData("root=smb://jane:secret@10.0.2.2/boot/r.img", "root=smb://***@10.0.2.2/boot/r.img")]
    [InlineData("root=cifs://jane:secret@10.0.2.2", "root=cifs://***@10.0.2.2")]
    [InlineData("root=cifs://jane@secret@10.0.2.2/", "root=cifs://***@10.0.2.2/:")]
    public void Errors_about_root_never_echo_what_stands_before_the_at(string root, string shown)
    {
        string message = Problems(root + " ip=dhcp");
        Assert.DoesNotContain("secret", message);
        Assert.DoesNotContain("jane", message);
        Assert.Contains(shown, message);
    }

    [Theory]
    [InlineData("rd.cifs.opts=vers=3.0,,seal", "rd.cifs.opts: empty option")]
    [InlineData("rd.cifs.opts=sign,vers=9", "'vers=9' has a missing or invalid value")]
    public void Errors_about_cifs_options_name_the_problem_without_the_whole_value(string opts, string? expected)
    {
        string message = Problems("root=cifs://10.0.2.2/boot/r.img ip=dhcp " + opts);
        if (expected is not null) Assert.Contains(expected, message);
        Assert.DoesNotContain("vers=3.0,,seal", message);
    }

    [Fact]
    public void A_control_character_in_any_cifs_option_value_is_refused()
    {
        var e = Assert.Throws<PlanException>(() => CifsOptions.ParseExtra("seal,domain=CORP\u0001,sign"));
        Assert.Contains("the value of 'domain' contains a control character", e.Message);
    }

    [Fact]
    public void A_NUL_in_the_password_or_a_control_character_in_the_user_is_refused_before_mount()
    {
        var root = CifsRoot.Parse("cifs://10.0.2.2/boot/r.img");
        var server = IPAddress.Parse("10.0.2.2");
        Assert.Contains("NUL", Assert.Throws<PlanException>(() => CifsOptions.Build(root, server, new Credentials("jane", "pa\0ss", null), ["seal"], false, Integrity.Seal)).Message);
        Assert.Contains("control character", Assert.Throws<PlanException>(() => CifsOptions.Build(root, server, new Credentials("ja\u0007ne", "x", null), [], false, Integrity.Sign)).Message);
        Assert.Contains("NUL", Assert.Throws<PlanException>(() => Credentials.Parse("username=jane\npassword=pa\0ss\n", "/c")).Message);
    }

    [Fact]
    public void Redact_reads_the_options_so_a_user_named_password_does_not_leak_the_real_one()
    {
        var root = CifsRoot.Parse("cifs://10.0.2.2/boot/r.img");
        string options = CifsOptions.Build(root, IPAddress.Parse("10.0.2.2"), new Credentials("xpassword=y", "s3cr,et", "CORP"), ["seal"], false, Integrity.Seal);
        string redacted = CifsOptions.Redact(options);
        Assert.DoesNotContain("s3cr", redacted);
        Assert.DoesNotContain("et,", redacted.Replace("seal", ""));
        Assert.Contains("username=xpassword=y", redacted);
        Assert.EndsWith("password=***,rw,seal", redacted);
    }

    [Fact]
    public void A_mistyped_credentials_key_is_named_without_its_value()
    {
        var e = Assert.Throws<PlanException>(() => Credentials.Parse("username=jane\npasword=hunter2\n", "/etc/smbroot/credentials"));
        Assert.Contains("unknown key 'pasword'", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
    }

    /// <summary>Found by fuzzing: "password dGVzdA==" has base64's '=' as its first '=', and the key echoed the password.</summary>
    [Fact]
    public void A_credentials_key_that_is_not_one_word_is_not_shown()
    {
        var e = Assert.Throws<PlanException>(() => Credentials.Parse("username=jane\npassword dGVzdA==\n", "/etc/smbroot/credentials"));
        Assert.Contains("line 2: a key that is not one word (not shown", e.Message);
        Assert.DoesNotContain("dgvzda", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Found by fuzzing: a '/' in a password ended the server's name early, and the rest was reported, and shown, as a port.</summary>
    [Fact]
    public void A_password_with_a_slash_is_refused_as_a_password_not_shown_as_a_port()
    {
        string message = Problems("root=cifs://jane:se/cret@10.0.2.2/boot/r.img ip=dhcp");
        Assert.Contains("a password in the URL is refused", message);
        Assert.DoesNotContain("'se'", message);
        Assert.DoesNotContain("cret", message);
        Assert.Contains("port", Problems("root=cifs://10.0.2.2:smb/boot/r.img ip=dhcp"));
        Assert.Equal("a@b.img", CifsRoot.Parse("cifs://10.0.2.2:445/boot/a@b.img").ImageName);
    }
}
