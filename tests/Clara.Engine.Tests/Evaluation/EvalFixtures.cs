using System.Text.Json;
using Clara.Engine.Tests.Support;

namespace Clara.Engine.Tests.Evaluation;

/// <summary>The files tests/oracle/eval_fixtures.py wrote (tests/fixtures/eval).</summary>
internal static class EvalFixtures
{
    public static string Path(string name)
    {
        var path = System.IO.Path.Combine(Fixtures.Root, "eval", name);
        if (!File.Exists(path)) throw new FileNotFoundException($"fixture {path} is missing; run /usr/bin/python3 tests/oracle/eval_fixtures.py", path);
        return path;
    }

    public static JsonElement Json(string name) => JsonDocument.Parse(File.ReadAllText(Path(name))).RootElement;

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();
}
