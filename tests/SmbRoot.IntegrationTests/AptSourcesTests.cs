using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>The lab's Debian mirror comes from this machine's apt configuration (no host is named in the repository).</summary>
public sealed class AptSourcesTests
{
    [Fact]
    public void Deb822_stanza_with_the_suite_gives_its_first_uri()
    {
        const string text = "Types: deb\nURIs: http://mirror.example/debian http://other.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n" +
            "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n";
        Assert.Equal("http://mirror.example/debian", AptSources.FromDeb822(text, "bookworm"));
        Assert.Equal("http://mirror.example/debian-security", AptSources.FromDeb822(text, "bookworm-security"));
        Assert.Null(AptSources.FromDeb822("Types: deb-src\nURIs: http://m/debian\nSuites: bookworm\n", "bookworm"));
        Assert.Null(AptSources.FromDeb822("Enabled: no\nTypes: deb\nURIs: http://m/debian\nSuites: bookworm\n", "bookworm"));
    }

    [Fact]
    public void One_line_entries_with_options_and_comments()
    {
        const string text = "# deb http://commented.example/debian bookworm main\ndeb-src http://src.example/debian bookworm main\n" +
            "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main contrib\n";
        Assert.Equal("http://mirror.example/debian", AptSources.FromOneLine(text, "bookworm"));
        Assert.Null(AptSources.FromOneLine(text, "trixie"));
    }
}
