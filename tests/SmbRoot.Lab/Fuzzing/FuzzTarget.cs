using System.Text;

namespace SmbRoot.Lab.Fuzzing;

/// <summary>
/// One parser of SmbRoot.Core under fuzzing: what it is fed, the inputs its mutations start from,
/// and the one exception type it declares for bad input. Anything else it throws is a bug.
/// </summary>
public sealed record FuzzTarget(string Name, Action<byte[]> Run, Type? Declared, IReadOnlyList<byte[]> Seeds)
{
    public static FuzzTarget Text(string name, Action<string> run, Type? declared, params string[] seeds) =>
        new(name, bytes => run(Encoding.UTF8.GetString(bytes)), declared, seeds.Select(Encoding.UTF8.GetBytes).ToArray());

    public static FuzzTarget Binary(string name, Action<byte[]> run, Type? declared, params byte[][] seeds) => new(name, run, declared, seeds);

    /// <summary>Whether <paramref name="e"/> is the parser's own way of saying "bad input".</summary>
    public bool IsDeclared(Exception e) => Declared is not null && Declared.IsInstanceOfType(e);
}
