// The registry token goes only to the registry's own origin, never to a tarball host it points at.
import { tarballAuth } from '../../src/runtime/npm-fetch.js';

test('tarball downloads carry the token only on the registry origin', () => {
  const reg = 'https://npm.example.test/api/npm/';
  expect(tarballAuth(reg, 'https://npm.example.test/api/npm/x/-/x-1.0.0.tgz', 'tok')).toBe('Bearer tok');
  expect(tarballAuth(reg, 'https://cdn.example.test/x/-/x-1.0.0.tgz', 'tok')).toBeUndefined();
  expect(tarballAuth(reg, 'http://npm.example.test/api/npm/x/-/x-1.0.0.tgz', 'tok')).toBeUndefined(); // no downgrade to http
  expect(tarballAuth(reg, 'https://npm.example.test:8443/x.tgz', 'tok')).toBeUndefined();
  expect(tarballAuth(reg, 'https://npm.example.test/api/npm/x/-/x-1.0.0.tgz', undefined)).toBeUndefined();
  expect(tarballAuth(reg, 'not a url', 'tok')).toBeUndefined();
});
