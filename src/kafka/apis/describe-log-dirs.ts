/**
 * DescribeLogDirs (key 35), versions 0–1: which log directories a broker has and, per hosted
 * partition, how many bytes its segments hold. v1 only changes throttling behaviour (the
 * response is sent before a quota throttle). Neither version is flexible (that starts at v2).
 *
 * Request v0–1  => topics [topic STRING partitions [INT32]]   (topics null = every partition)
 *
 * Response v0–1 => throttle_time_ms INT32
 *                  results [error_code INT16 log_dir STRING
 *                           topics [name STRING
 *                                   partitions [partition_index INT32 partition_size INT64
 *                                               offset_lag INT64 is_future_key BOOLEAN]]]
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

export interface DescribableLogDirTopic {
  topic: string;
  partitions: number[];
}

export interface DescribeLogDirsRequest {
  /** null asks for every partition the broker hosts. */
  topics: DescribableLogDirTopic[] | null;
}

export interface DescribeLogDirsPartition {
  partitionIndex: number;
  /** Bytes in the partition's segment files. */
  partitionSize: number;
  offsetLag: number;
  isFutureKey: boolean;
}

export interface DescribeLogDirsTopic {
  name: string;
  partitions: DescribeLogDirsPartition[];
}

export interface DescribeLogDirsResult {
  errorCode: number;
  logDir: string;
  topics: DescribeLogDirsTopic[];
}

export interface DescribeLogDirsResponse {
  throttleTimeMs: number;
  results: DescribeLogDirsResult[];
}

export function writeDescribeLogDirsRequest(
  writer: Writer,
  version: number,
  request: DescribeLogDirsRequest,
): void {
  checkVersion(ApiKey.DescribeLogDirs, version, "write");
  writer.array(request.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (pw, p) => pw.int32(p));
  });
}

export function readDescribeLogDirsRequest(reader: Reader, version: number): DescribeLogDirsRequest {
  checkVersion(ApiKey.DescribeLogDirs, version, "read");
  // string length (2) + array count (4) per topic at least
  const topics = reader.array((r) => ({
    topic: readString(r, "topics.topic"),
    partitions: readInt32s(r, "topics.partitions"),
  }), 6);
  return { topics };
}

export function writeDescribeLogDirsResponse(
  writer: Writer,
  version: number,
  response: DescribeLogDirsResponse,
): void {
  checkVersion(ApiKey.DescribeLogDirs, version, "write");
  writer.int32(response.throttleTimeMs);
  writer.array(response.results, (w, result) => {
    w.int16(result.errorCode).string(result.logDir);
    w.array(result.topics, (tw, topic) => {
      tw.string(topic.name);
      tw.array(topic.partitions, (pw, p) => {
        pw.int32(p.partitionIndex).int64n(p.partitionSize).int64n(p.offsetLag).bool(p.isFutureKey);
      });
    });
  });
}

export function readDescribeLogDirsResponse(reader: Reader, version: number): DescribeLogDirsResponse {
  checkVersion(ApiKey.DescribeLogDirs, version, "read");
  const throttleTimeMs = reader.int32();
  const results = readArray(reader, "results", (r) => ({
    errorCode: r.int16(),
    logDir: readString(r, "results.log_dir"),
    topics: readArray(r, "results.topics", readTopic, 6),
  }), 8);
  return { throttleTimeMs, results };
}

function readTopic(reader: Reader): DescribeLogDirsTopic {
  return {
    name: readString(reader, "topics.name"),
    partitions: readArray(reader, "topics.partitions", (r) => ({
      partitionIndex: r.int32(),
      partitionSize: r.int64n(),
      offsetLag: r.int64n(),
      isFutureKey: r.bool(),
    }), 21),
  };
}
