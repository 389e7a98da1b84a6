using SmbRoot.Core.Modules;
using SmbRoot.Core.Plan;
using SmbRoot.Core.Shutdown;
using SmbRoot.Lab.Fuzzing;
using Xunit;

namespace SmbRoot.Tests.Fuzzing;

/// <summary>
/// A short, deterministic run of <c>./build.sh fuzz</c> (which runs 10^6 inputs per parser), and
/// every crash a fuzzer has found, by name.
/// </summary>
public class FuzzTests
{
    public static TheoryData<string> Targets() => [.. CoreParsers.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void A_short_run_finds_no_crash(string name)
    {
        var result = Fuzzer.Run(CoreParsers.All.Single(t => t.Name == name), inputs: 2_000, seed: 7);
        Assert.True(result.Crashes.Count == 0, string.Join("\n", result.Crashes.Select(c =>
            $"input {c.Input}: {c.Error.GetType().Name}: {c.Error.Message} ({Convert.ToBase64String(c.Data)})")));
    }

    [Fact]
    public void The_fuzzer_reports_an_undeclared_exception()
    {
        var broken = FuzzTarget.Text("broken", t => { if (t.Contains('=')) throw new IndexOutOfRangeException(); }, typeof(FormatException), "a=b");
        Assert.NotEmpty(Fuzzer.Run(broken, inputs: 100, seed: 1).Crashes);
    }

    private static string Problems(string commandLine) =>
        Assert.Throws<PlanException>(() => BootPlan.Parse(KernelCommandLine.Parse(commandLine))).Message;

    // Found with an outside harness: 26 public parsers, 10^6 mutated inputs each.
    [Theory]
    [InlineData("root=smb://user:S3cret@")]
    [InlineData("root=://a:S3cret@s")]
    [InlineData("root=cifs://10.0.2.2/boot/r.img rd.cifs.opts=,PASSWORD=S3cret")]
    public void Fuzz_finding_errors_never_echo_a_password(string commandLine) => Assert.DoesNotContain("S3cret", Problems(commandLine));

    [Fact]
    public void Fuzz_finding_describe_never_shows_a_password_in_a_path()
    {
        string text;
        try { text = BootPlan.Parse(KernelCommandLine.Parse("root=cifs://s/b/user:S3cret@zz ip=dhcp")).Describe(); }
        catch (PlanException e) { text = e.Message; }
        Assert.DoesNotContain("S3cret", text);
    }

    [Fact]
    public void Fuzz_finding_a_mangled_credentials_key_is_named_without_the_line() =>
        Assert.DoesNotContain("S3cret", Assert.Throws<PlanException>(() => Credentials.Parse("pasS3cret=x\n", "/etc/smbroot/credentials")).Message);

    [Fact]
    public void Fuzz_finding_a_leading_zero_in_ip_is_read_not_thrown() =>
        Assert.Equal("8.0.0.1", BootPlan.Parse(KernelCommandLine.Parse("root=cifs://s/b/r.img ip=08.0.0.1::08.0.0.9:255.0.0.0:h:eth0:off")).Network.Address?.ToString());

    [Fact]
    public void Fuzz_finding_a_huge_timeout_is_capped_not_an_overflow()
    {
        Assert.Equal(TimeSpan.MaxValue, FinalStageArguments.ParseTimeout("999999999h"));
        Assert.Equal(FinalStageArguments.LongestTimeout, FinalStageArguments.Parse(["halt", "--timeout=999999999h"]).Timeout);
    }

    [Fact]
    public void Fuzz_finding_an_alias_to_a_module_missing_from_modules_dep() =>
        Assert.Equal(["x"], ModuleIndex.Parse("a.ko:\n", modulesAlias: "alias x m\n").Closure(["x"]).Missing);
}
