using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>A lab whose server sits on a bridge in a network namespace the test makes, for tests with several guests.</summary>
public sealed class NetworkLabFixture : IDisposable
{
    public Lab.Lab Lab { get; } = new(Path.Combine(Path.GetTempPath(), "smbroot-integration-net"), "smbroot-lab");

    public void Dispose() => Lab.Dispose();
}

[CollectionDefinition(Name)]
public sealed class NetworkLabCollection : ICollectionFixture<NetworkLabFixture>
{
    public const string Name = "network lab";
}
