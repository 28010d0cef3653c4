// The one redaction for every sink: userinfo and secret query values go, scheme/host/path stay.
import { redactFlags, redactText, redactUrl, urlSecrets } from '../../src/util/redact.js';

const S3 =
  'https://bucket.s3.amazonaws.com/data/imdb.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE&X-Amz-Signature=0123456789abcdef';
const AZURE =
  'https://acct.blob.core.windows.net/c/d.tar.gz?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&st=2024-01-01&spr=https&sig=AbC%2Bdef%3D';

test('userinfo and every query value not known to be harmless are replaced; scheme, host and path stay', () => {
  expect(redactUrl('https://user:p%40ss@host.example:8443/a/b.zip?token=abc&access_token=xyz&dl=1#frag')).toBe(
    'https://***@host.example:8443/a/b.zip?token=***&access_token=***&dl=1',
  );
  expect(redactUrl('https://tok_only@github.com/o/r/d.zip')).toBe('https://***@github.com/o/r/d.zip');
  expect(redactUrl(S3)).toBe(
    'https://bucket.s3.amazonaws.com/data/imdb.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=***&X-Amz-Signature=***',
  );
  expect(redactUrl(AZURE)).toBe(
    'https://acct.blob.core.windows.net/c/d.tar.gz?sv=2022-11-02&ss=***&srt=***&sp=r&se=2030-01-01T00:00:00Z&st=2024-01-01&spr=https&sig=***',
  );
  expect(redactUrl('https://host/plain.csv')).toBe('https://host/plain.csv');
  expect(redactUrl('https://host/x?flag&empty=')).toBe('https://host/x?flag&empty=');
  expect(redactUrl('not a url')).toBe('<invalid URL>');
});

test('urlSecrets lists each secret as written and decoded, longest first; none for a plain URL', () => {
  expect(urlSecrets('https://u:p%40ss@h/x?sig=AbC%2Bdef%3D&v=2')).toEqual([
    'AbC%2Bdef%3D',
    'AbC+def=',
    'p%40ss',
    'p@ss',
    'u',
  ]);
  expect(urlSecrets('https://h/x.zip?v=2')).toEqual([]);
});

test('redactText redacts URLs anywhere in a message, and pieces of known URLs (a quoted path + query)', () => {
  const url = 'http://admin:hunter22@127.0.0.1:9/d.zip?X-Amz-Signature=deadbeefcafe';
  expect(redactText(`GET ${url}, failed.`)).toBe('GET http://***@127.0.0.1:9/d.zip?X-Amz-Signature=***, failed.');
  expect(redactText('Request timeout: /d.zip?X-Amz-Signature=deadbeefcafe', [url])).toBe(
    'Request timeout: /d.zip?X-Amz-Signature=***',
  );
  expect(redactText('auth for admin:hunter22 refused', [url])).toBe('auth for ***:*** refused');
});

test('redactFlags drops credential flags and redacts every URL value, whatever the flag', () => {
  const flags = {
    datastore: 'https://u:pw@h/d.zip?sig=s3cr3t',
    hub_url: 'https://hub.example/?token=hubtok',
    model_name_or_path: 'https://x:y@models.example/bert',
    resume_from: 'runs/a/checkpoints/epoch-1',
    github_token: 'ghp_abc',
    hf_token: 'hf_abc',
    max_epochs: 3,
    shuffle: true,
    valid_file: undefined,
  };
  const out = redactFlags(flags);
  expect(out).toEqual({
    datastore: 'https://***@h/d.zip?sig=***',
    hub_url: 'https://hub.example/?token=***',
    model_name_or_path: 'https://***@models.example/bert',
    resume_from: 'runs/a/checkpoints/epoch-1',
    max_epochs: 3,
    shuffle: true,
    valid_file: undefined,
  });
  expect(JSON.stringify(out)).not.toMatch(/pw|s3cr3t|hubtok|ghp_|hf_abc|x:y/);
});
