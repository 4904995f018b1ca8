/** Stable error codes of the cloud service; callers check `err.code`, never `instanceof`. */
export const CloudErrorCode = {
  INVALID_ID: 'IOC_ERR_INVALID_ID',
  EXISTS: 'IOC_ERR_EXISTS',
  NOT_FOUND: 'IOC_ERR_NOT_FOUND',
  UNAUTHORIZED: 'IOC_ERR_UNAUTHORIZED',
  BAD_REQUEST: 'IOC_ERR_BAD_REQUEST',
  CONFLICT: 'IOC_ERR_CONFLICT',
  FORBIDDEN: 'IOC_ERR_FORBIDDEN',
} as const;
export type CloudErrorCode = (typeof CloudErrorCode)[keyof typeof CloudErrorCode];

const STATUS: Record<CloudErrorCode, number> = {
  IOC_ERR_INVALID_ID: 400,
  IOC_ERR_EXISTS: 409,
  IOC_ERR_NOT_FOUND: 404,
  IOC_ERR_UNAUTHORIZED: 401,
  IOC_ERR_BAD_REQUEST: 400,
  IOC_ERR_CONFLICT: 409,
  IOC_ERR_FORBIDDEN: 403,
};

export class CloudError extends Error {
  readonly code: CloudErrorCode;
  readonly statusCode: number;
  constructor(code: CloudErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CloudError';
    this.code = code;
    this.statusCode = STATUS[code];
  }
}
