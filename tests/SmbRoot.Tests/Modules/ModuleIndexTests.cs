using SmbRoot.Core.Modules;
using Xunit;

namespace SmbRoot.Tests.Modules;

public class ModuleIndexTests
{
    // A slice of a real 6.1 modules.dep, with names that mix '-' and '_'.
    private const string Dep = """
        kernel/fs/cifs/cifs.ko: kernel/fs/netfs/netfs.ko kernel/fs/fscache/fscache.ko kernel/net/dns_resolver/dns_resolver.ko
        kernel/fs/netfs/netfs.ko:
        kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
        kernel/net/dns_resolver/dns_resolver.ko:
        kernel/crypto/gcm.ko:
        kernel/crypto/ccm.ko:
        kernel/arch/x86/crypto/sha512-ssse3.ko: kernel/crypto/sha512_generic.ko
        kernel/crypto/sha512_generic.ko:
        kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko
        kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
        kernel/net/core/failover.ko:
        kernel/drivers/block/loop.ko:
        """;

    private const string Softdep = """
        # Soft dependencies extracted from modules themselves.
        softdep cifs gcm
        softdep cifs ccm
        softdep cifs aead2
        softdep cifs sha512
        """;

    private const string Alias = """
        alias crypto-sha512 sha512_generic
        alias sha512 sha512_generic
        alias crypto-sha512 sha512_ssse3
        alias sha512 sha512_ssse3
        alias virtio:d00000001v* virtio_net
        alias crypto-gcm gcm
        """;

    private static ModuleIndex Index() => ModuleIndex.Parse(Dep, Softdep, "kernel/crypto/aes_generic.ko\nkernel/drivers/block/virtio_blk.ko\n", Alias);

    [Fact]
    public void Dependencies_load_first_and_soft_pre_dependencies_before_the_module()
    {
        var order = Index().Closure(["cifs"]);
        var modules = order.Modules.ToList();
        Assert.True(modules.IndexOf("netfs") < modules.IndexOf("fscache"));
        Assert.True(modules.IndexOf("fscache") < modules.IndexOf("cifs"));
        Assert.True(modules.IndexOf("gcm") < modules.IndexOf("cifs"));
        Assert.True(modules.IndexOf("sha512_generic") < modules.IndexOf("sha512_ssse3"));
        Assert.Equal(modules.Count, modules.Distinct().Count());
        Assert.Equal(["aead2"], order.MissingSoft);
        Assert.Empty(order.Missing);
    }

    [Fact]
    public void Modules_reached_only_through_soft_dependencies_may_fail()
    {
        var order = Index().Closure(["cifs"]);
        Assert.Contains("sha512_ssse3", order.SoftOnly);
        Assert.Contains("gcm", order.SoftOnly);
        Assert.DoesNotContain("cifs", order.SoftOnly);
        Assert.DoesNotContain("netfs", order.SoftOnly);
    }

    [Fact]
    public void Aliases_resolve_with_globs_and_dashes_equal_underscores()
    {
        var index = Index();
        Assert.Equal(["sha512_generic", "sha512_ssse3"], index.Resolve("crypto-sha512"));
        Assert.Equal(["virtio_net"], index.Resolve("virtio:d00000001v00001AF4"));
        Assert.Equal(["sha512_ssse3"], index.Resolve("sha512-ssse3"));
        Assert.Empty(index.Resolve("crypto-nothing"));
    }

    [Fact]
    public void Built_in_modules_count_as_done_and_unknown_ones_are_missing()
    {
        var order = Index().Closure(["aes", "aes_generic", "virtio_blk", "loop", "nosuchmodule"]);
        Assert.Equal(["loop"], order.Modules);
        Assert.Equal(["aes", "nosuchmodule"], order.Missing);
    }

    [Fact]
    public void Softdep_from_modinfo_with_pre_and_post()
    {
        var index = ModuleIndex.Parse("a.ko:\nb.ko:\nc.ko:\n");
        index.AddSoftdepFromModinfo("a", "pre: b post: c");
        Assert.Equal(["b", "a", "c"], index.Closure(["a"]).Modules);
        Assert.Equal("softdep a pre: b post: c\n", index.WriteSoftdep(["a", "b"]));
    }

    [Fact]
    public void WriteDep_keeps_only_the_shipped_modules()
    {
        var index = Index();
        string dep = index.WriteDep(["fscache", "netfs"]);
        Assert.Equal("kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko\nkernel/fs/netfs/netfs.ko:\n", dep);
        var again = ModuleIndex.Parse(dep);
        Assert.Equal(["netfs", "fscache"], again.Closure(["fscache"]).Modules);
    }

    [Fact]
    public void A_dependency_cycle_is_an_error_not_a_hang()
    {
        var index = ModuleIndex.Parse("a.ko: b.ko\nb.ko: a.ko\n");
        Assert.Contains("cycle", Assert.Throws<FormatException>(() => index.Closure(["a"])).Message);
    }

    [Theory]
    [InlineData("no colon here", "modules.dep line 1")]
    [InlineData("\n: x.ko", "modules.dep line 2")]
    public void A_malformed_modules_dep_names_the_line(string dep, string expected)
    {
        Assert.Contains(expected, Assert.Throws<FormatException>(() => ModuleIndex.Parse(dep)).Message);
    }

    [Fact]
    public void A_malformed_softdep_line_names_the_line()
    {
        Assert.Contains("modules.softdep line 1", Assert.Throws<FormatException>(() => ModuleIndex.Parse("", "softdep cifs")).Message);
    }

    [Theory]
    [InlineData("kernel/fs/xfs/xfs.ko.xz", "xfs")]
    [InlineData("kernel/arch/x86/crypto/sha512-ssse3.ko.zst", "sha512_ssse3")]
    [InlineData("loop.ko", "loop")]
    public void Names_come_from_paths(string path, string name) => Assert.Equal(name, ModuleIndex.NameFromPath(path));

    [Fact]
    public void A_devices_modalias_finds_its_driver_as_coldplug_needs()
    {
        // From a 6.1 modules.alias: e1000 for QEMU's 82540EM (8086:100e), virtio_pci for any Red Hat virtio PCI device.
        var index = ModuleIndex.Parse("e1000.ko:\nvirtio_pci.ko:\n", null, null, """
            alias pci:v00008086d0000100Esv*sd*bc*sc*i* e1000
            alias pci:v00008086d0000100Fsv*sd*bc*sc*i* e1000
            alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci
            """);
        Assert.Equal(["e1000"], index.Resolve("pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00"));
        Assert.Equal(["virtio_pci"], index.Resolve("pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"));
        Assert.Empty(index.Resolve("pci:v000010ECd00008139sv00001AF4sd00001100bc02sc00i00"));
        Assert.Empty(index.Resolve(""));
    }

    [Fact]
    public void A_module_for_CPU_features_fits_only_a_CPU_that_has_one_of_them()
    {
        var index = ModuleIndex.Parse("kernel/arch/x86/crypto/aesni-intel.ko:\nkernel/crypto/gcm.ko:\n", modulesAlias: """
            alias cpu:type:x86,ven*fam*mod*:feature:*0099* aesni_intel
            alias crypto-aes aesni_intel
            alias crypto-gcm gcm
            """);
        const string withAes = "cpu:type:x86,ven0000fam0006mod003A:feature:,0000,0001,0081,0099,00C0";
        const string withoutAes = "cpu:type:x86,ven0002fam001Amod0002:feature:,0000,0001,0081,0094,00C0";
        Assert.True(index.FitsCpu("aesni_intel", withAes));
        Assert.False(index.FitsCpu("aesni_intel", withoutAes));
        Assert.True(index.FitsCpu("gcm", withoutAes)); // no CPU features named: fits any CPU
        Assert.True(index.FitsCpu("aesni_intel", null)); // the kernel does not say: try it
    }

    [Fact]
    public void A_soft_dependency_left_out_takes_along_the_dependencies_only_it_needs()
    {
        var index = ModuleIndex.Parse("""
            kernel/fs/cifs/cifs.ko:
            kernel/arch/x86/crypto/aesni-intel.ko: kernel/crypto/crypto_simd.ko kernel/crypto/cryptd.ko
            kernel/crypto/crypto_simd.ko: kernel/crypto/cryptd.ko
            kernel/crypto/cryptd.ko:
            kernel/crypto/gcm.ko:
            kernel/arch/x86/crypto/ghash-clmulni-intel.ko: kernel/crypto/cryptd.ko
            """, "softdep cifs pre: aes gcm\n", modulesAlias: "alias aes aesni_intel\n");
        var order = index.Closure(["cifs"], leaveOut: m => m == "aesni_intel");
        Assert.Equal(["gcm", "cifs"], order.Modules);
        Assert.Equal(["aesni_intel"], order.LeftOut);

        // A module that is wanted for itself still brings the dependency it shares with the one left out.
        var shared = index.Closure(["cifs", "ghash_clmulni_intel"], leaveOut: m => m == "aesni_intel");
        Assert.Equal(["gcm", "cifs", "cryptd", "ghash_clmulni_intel"], shared.Modules);

        // A soft dependency that needs one left out would only fail to load: it is left out as well.
        var needing = ModuleIndex.Parse("""
            kernel/fs/cifs/cifs.ko:
            kernel/crypto/aegis128.ko: kernel/arch/x86/crypto/aesni-intel.ko
            kernel/arch/x86/crypto/aesni-intel.ko:
            """, "softdep cifs pre: aegis128\n").Closure(["cifs"], leaveOut: m => m == "aesni_intel");
        Assert.Equal(["cifs"], needing.Modules);
        Assert.Equal(["aesni_intel", "aegis128"], needing.LeftOut);

        // What is wanted by name is never left out: its failure is the caller's to report.
        Assert.Contains("aesni_intel", index.Closure(["aesni_intel"], leaveOut: m => m == "aesni_intel").Modules);
    }

    [Fact]
    public void An_alias_naming_a_module_modules_dep_lacks_is_missing_not_a_crash()
    {
        var index = ModuleIndex.Parse("a.ko:\n", modulesAlias: "alias x m\n");
        var order = index.Closure(["x"]);
        Assert.Empty(order.Modules);
        Assert.Equal(["x"], order.Missing);
    }

    [Fact]
    public void A_dependency_chain_too_deep_to_be_real_is_an_error_not_a_stack_overflow()
    {
        string dep = string.Concat(Enumerable.Range(0, 50_000).Select(i => $"m{i}.ko: m{i + 1}.ko\n")) + "m50000.ko:\n";
        var index = ModuleIndex.Parse(dep);
        Assert.Contains("deeper than 200 modules", Assert.Throws<FormatException>(() => index.Closure(["m0"])).Message);
    }

    /// <summary>
    /// Found by fuzzing: a soft module left out because its dependency was left out used to be walked
    /// again from every path that reached it, and 26 layers of diamonds took over 10 s at boot.
    /// The test counts the walk's questions, not its time.
    /// </summary>
    [Fact]
    public void Layered_diamonds_of_soft_dependencies_over_a_module_left_out_are_walked_once()
    {
        const int layers = 26;
        var dep = new System.Text.StringBuilder("cifs.ko:\nx.ko:\n");
        for (int i = 0; i < layers; i++)
        {
            string next = i + 1 < layers ? $" a{i + 1}.ko b{i + 1}.ko" : " x.ko";
            dep.Append($"a{i}.ko:{next}\nb{i}.ko:{next}\n");
        }
        var index = ModuleIndex.Parse(dep.ToString(), "softdep cifs pre: a0 b0\n");
        int asked = 0;
        var order = index.Closure(["cifs"], leaveOut: m => { asked++; return m == "x"; });
        Assert.Equal(["cifs"], order.Modules);
        Assert.Equal(2 * layers + 1, order.LeftOut.Count);
        Assert.InRange(asked, 1, 2 * layers + 1);
    }
}
