using SmbRoot.Core.Admin;
using Xunit;

namespace SmbRoot.Tests.Admin;

public class VersionCollectorTests
{
    private static ImageEntry Image(string name, string[]? namedBy = null, bool held = false) =>
        new($"golden/{name}", 1 << 30, "ext4", namedBy ?? [], held);

    [Fact]
    public void Only_what_nothing_needs_goes()
    {
        var images = new[]
        {
            Image("v5.img", ["golden/current"]), Image("v4.img", ["golden/testing"]), Image("v3.img"), Image("v2.img"),
            Image("v1.img"), Image("rw.img", held: true), Image("stray.img"),
        };
        var verdicts = VersionCollector.Judge("golden/current", images, ["v1.img", "v2.img", "v3.img"], keep: 1, path => path == "golden/v2.img");
        Assert.Equal(["golden/v1.img", "golden/stray.img"], verdicts.Where(v => v.Goes).Select(v => v.Image.Path));
        Assert.Equal(["golden/current names it", "golden/testing names it", "one of the last 1 versions golden/current named (rollback goes back to them)",
            "a process on this server has it open: a machine still runs it", null, "a machine has held it read-write (it has a holder record)", null],
            verdicts.Select(v => v.KeptBecause));
    }
}
