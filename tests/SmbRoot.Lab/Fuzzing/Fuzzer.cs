using System.Diagnostics;

namespace SmbRoot.Lab.Fuzzing;

/// <summary>
/// A small deterministic mutation fuzzer: each input is a seed (or a splice of two) changed by a
/// few random edits — bit flips, interesting bytes, inserted and deleted runs, repeated chunks,
/// separators. Deterministic for a given random seed, so a crash reproduces with its number.
/// </summary>
public static class Fuzzer
{
    public sealed record Crash(string Target, long Input, byte[] Data, Exception Error);

    public sealed record Result(string Target, long Inputs, TimeSpan Took, IReadOnlyList<Crash> Crashes);

    private static readonly byte[] Interesting = [0, 1, 0x7f, 0x80, 0xff, (byte)'\n', (byte)'=', (byte)',', (byte)':', (byte)'/', (byte)'@', (byte)'%', (byte)'.', (byte)'0', (byte)'9', (byte)' ', (byte)'\\', 0xc0, 0xc3];

    /// <summary>Runs <paramref name="inputs"/> mutated inputs; stops collecting after 10 crashes.</summary>
    public static Result Run(FuzzTarget target, long inputs, int seed)
    {
        var random = new Random(seed);
        var crashes = new List<Crash>();
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < inputs; i++)
        {
            byte[] data = Mutate(target.Seeds, random);
            try
            {
                target.Run(data);
            }
            catch (Exception e) when (!target.IsDeclared(e))
            {
                crashes.Add(new Crash(target.Name, i, data, e));
                if (crashes.Count >= 10) break;
            }
            catch (Exception)
            {
                // the parser's declared "bad input": that is its job
            }
        }
        return new Result(target.Name, inputs, clock.Elapsed, crashes);
    }

    public static byte[] Mutate(IReadOnlyList<byte[]> seeds, Random random)
    {
        var data = new List<byte>(seeds[random.Next(seeds.Count)]);
        if (random.Next(8) == 0)
        {
            var other = seeds[random.Next(seeds.Count)];
            int cut = data.Count == 0 ? 0 : random.Next(data.Count);
            data.RemoveRange(cut, data.Count - cut);
            data.AddRange(other.Skip(other.Length == 0 ? 0 : random.Next(other.Length)));
        }
        for (int edits = 1 + random.Next(4); edits > 0; edits--)
        {
            int at = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(7))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    data.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 3 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(1 + random.Next(8), data.Count - at));
                    break;
                case 4 when data.Count > 0:
                    // a chunk repeated many times: long values, deep nesting, big counts
                    int length = Math.Min(1 + random.Next(16), data.Count - at);
                    var chunk = data.GetRange(at, length);
                    for (int r = random.Next(2, 200); r > 0; r--) data.InsertRange(at, chunk);
                    break;
                case 5 when data.Count > 0:
                    data[at] = (byte)random.Next(256);
                    break;
                default:
                    data.Insert(at, (byte)random.Next(256));
                    break;
            }
        }
        return data.ToArray();
    }
}
