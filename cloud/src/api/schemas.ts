import { Type } from 'typebox';

/** Shared request/response pieces of the registry API. */
export const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: '1–64 of a-z 0-9 _ -, starting with a letter or digit' });
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
export const Lat = Type.Number({ minimum: -90, maximum: 90 });
export const Lon = Type.Number({ minimum: -180, maximum: 180 });
export const Millis = Type.Integer({ description: 'epoch milliseconds UTC' });
export const IdParams = Type.Object({ id: Id });
export const Outcome = Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]);

export const SiteBody = Type.Object({
  id: Id,
  nameVi: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  nameEn: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  district: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  lat: Type.Optional(Nullable(Lat)),
  lon: Type.Optional(Nullable(Lon)),
}, { additionalProperties: false });

export const SiteView = Type.Object({
  id: Type.String(), nameVi: Nullable(Type.String()), nameEn: Nullable(Type.String()), district: Nullable(Type.String()),
  lat: Nullable(Type.Number()), lon: Nullable(Type.Number()), createdAt: Millis,
});

export const Calibration = Type.Record(Type.String(), Type.Object({ gain: Type.Number(), offset: Type.Number() }, { additionalProperties: false }));

export const SensorBody = Type.Object({
  id: Id,
  driver: Type.String({ minLength: 1, maxLength: 64 }),
  metrics: Type.Optional(Type.Array(Id, { maxItems: 64 })),
  calibration: Type.Optional(Calibration),
  lat: Type.Optional(Nullable(Lat)),
  lon: Type.Optional(Nullable(Lon)),
  description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
}, { additionalProperties: false });

export const SensorView = Type.Object({
  gateway: Type.String(), id: Type.String(), driver: Type.String(), metrics: Type.Array(Type.String()), calibration: Calibration,
  lat: Nullable(Type.Number()), lon: Nullable(Type.Number()), description: Nullable(Type.String()), createdAt: Millis,
});

export const CameraBody = Type.Object({
  id: Id,
  site: Id,
  gateway: Type.Optional(Nullable(Id)),
  name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  probe: Type.Optional(Type.Union([Type.Literal('rtsp'), Type.Literal('http'), Type.Literal('tcp'), Type.Literal('opcua')])),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  lat: Type.Optional(Nullable(Lat)),
  lon: Type.Optional(Nullable(Lon)),
}, { additionalProperties: false });

export const CameraView = Type.Object({
  id: Type.String(), site: Type.String(), gateway: Nullable(Type.String()), name: Nullable(Type.String()),
  probe: Type.String(), address: Nullable(Type.String()), lat: Nullable(Type.Number()), lon: Nullable(Type.Number()), createdAt: Millis,
});

/** A gateway's MQTT credentials: returned once, when issued or rotated, never again. */
export const Credentials = Type.Object({
  url: Type.String(), username: Type.String(), clientId: Type.String(), password: Type.String(),
});
