using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>One smbd and one set of built images for every boot test; QEMU in TCG is slow, so the boots run one at a time.</summary>
public sealed class LabFixture : IDisposable
{
    public Lab.Lab Lab { get; } = new(Path.Combine(Path.GetTempPath(), "smbroot-integration"));

    /// <summary>Generous: a TCG boot to userspace takes seconds, but the CI machine may be busy.</summary>
    public static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);

    public void Dispose() => Lab.Dispose();
}

[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "lab";
}
