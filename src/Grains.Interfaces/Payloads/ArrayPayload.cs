using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// A large array of numbers in a message: parameter rows, their counterpart indices, triplet counts. Orleans writes a
/// plain <c>float[]</c> element by element with a tag each (5 bytes a float) and deep-copies it on every call, local
/// ones too; this type crosses silos as one length-prefixed block of raw bytes (<see cref="ArrayPayloadCodec{T}"/>)
/// and is never copied (<see cref="ArrayPayloadCopier{T}"/>). A 64 MB row block then takes about as long as raw
/// loopback TCP instead of 10–20 times as long. The rule that comes with it: a sender never changes an array after
/// sending it, and a receiver owns what it received.
/// </summary>
/// <remarks>
/// It converts to and from <c>T[]</c> implicitly, so code that builds and reads messages works with arrays.
/// </remarks>
[CollectionBuilder(typeof(ArrayPayload), nameof(ArrayPayload.Create))]
public sealed class ArrayPayload<T> where T : unmanaged
{
    public ArrayPayload(T[] array) => Array = array;

    /// <summary>The array itself (not a copy).</summary>
    public T[] Array { get; }

    public int Length => Array.Length;

    public ref T this[int index] => ref Array[index];

    public Span<T> AsSpan() => Array;

    public Span<T> AsSpan(int start) => Array.AsSpan(start);

    public Span<T> AsSpan(int start, int length) => Array.AsSpan(start, length);

    public Span<T>.Enumerator GetEnumerator() => Array.AsSpan().GetEnumerator();

    [return: NotNullIfNotNull(nameof(array))]
    public static implicit operator ArrayPayload<T>?(T[]? array) => array is null ? null : new ArrayPayload<T>(array);

    [return: NotNullIfNotNull(nameof(payload))]
    public static implicit operator T[]?(ArrayPayload<T>? payload) => payload?.Array;
}

/// <summary>Builds payloads from collection expressions (<c>[]</c> for an empty one).</summary>
public static class ArrayPayload
{
    public static ArrayPayload<T> Create<T>(ReadOnlySpan<T> values) where T : unmanaged => new(values.ToArray());
}
