package healthlake.storage;

import io.delta.storage.HadoopFileSystemLogStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSDataOutputStreamBuilder;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Delta's log store for S3-compatible object storage with conditional writes (AWS S3 since 2024,
 * MinIO, Ceph): a commit is one PUT with {@code If-None-Match: *}, which the store refuses when that
 * version of the log exists. Two Spark drivers committing the same version cannot both succeed; the
 * loser gets FileAlreadyExistsException, and Delta checks for conflicts and retries with the next
 * version, as it does on HDFS. delta-spark's own S3SingleDriverLogStore checks for the file and then
 * writes it, which is safe for one driver only; here every Airflow task is a driver of its own.
 */
public class ConditionalPutLogStore extends HadoopFileSystemLogStore {

  public ConditionalPutLogStore(Configuration initHadoopConf) {
    super(initHadoopConf);
  }

  @Override
  public void write(Path path, Iterator<String> actions, Boolean overwrite, Configuration hadoopConf)
      throws IOException {
    FileSystem fs = path.getFileSystem(hadoopConf);
    FSDataOutputStreamBuilder<?, ?> builder = fs.createFile(path).overwrite(overwrite);
    if (!overwrite) {
      builder.must(Options.CreateFileOptionKeys.FS_OPTION_CREATE_CONDITIONAL_OVERWRITE, true);
    }
    try (FSDataOutputStream out = builder.build()) {
      while (actions.hasNext()) {
        out.write((actions.next() + "\n").getBytes(StandardCharsets.UTF_8));
      }
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      throw alreadyCommitted(path, e);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      // S3A reports the store's 412 Precondition Failed under a few exception types.
      if (!overwrite && isPreconditionFailure(e)) {
        throw alreadyCommitted(path, e);
      }
      throw e;
    }
  }

  private static java.nio.file.FileAlreadyExistsException alreadyCommitted(Path path, Exception cause) {
    java.nio.file.FileAlreadyExistsException exists = new java.nio.file.FileAlreadyExistsException(path.toString());
    exists.initCause(cause);
    return exists;
  }

  private static boolean isPreconditionFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (message.contains("412") || message.contains("PreconditionFailed")
          || t.getClass().getSimpleName().equals("RemoteFileChangedException")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Boolean isPartialWriteVisible(Path path, Configuration hadoopConf) {
    // An object appears whole or not at all.
    return false;
  }
}
