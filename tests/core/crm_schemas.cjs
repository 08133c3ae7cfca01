// The CRM's own Mongoose schemas, exactly as the integration guide writes them
// (models/EmailLog.ts and models/File.ts, types dropped), validating documents the
// console writes. No server: `new Model(doc).validate()` only casts and validates.
//
// stdin: a JSON array of {name, model: "EmailLog" | "File", doc}
// stdout: a JSON array of {name, errors: {path: message}} (errors empty: valid)
const mongoose = require('mongoose')
const { Schema } = mongoose

const EmailLogSchema = new Schema({
  messageId: {
    type: String,
    required: true,
    unique: true,
    index: true
  },
  to: [{
    type: String,
    required: true
  }],
  from: {
    type: String,
    required: true
  },
  subject: {
    type: String,
    required: true
  },
  content: {
    html: String,
    text: String,
  },
  category: {
    type: String,
    enum: ['auth', 'notification', 'marketing', 'system', 'client-portal'],
    required: true,
    index: true
  },
  status: {
    type: String,
    enum: ['queued', 'sent', 'delivered', 'bounced', 'complaint', 'failed'],
    default: 'queued',
    index: true
  },
  priority: {
    type: String,
    enum: ['low', 'normal', 'high', 'urgent'],
    default: 'normal'
  },
  events: [{
    type: {
      type: String,
      enum: ['send', 'delivery', 'bounce', 'complaint', 'open', 'click'],
      required: true
    },
    timestamp: { type: Date, default: Date.now },
    metadata: Schema.Types.Mixed
  }],
  userId: { type: String, index: true },
  clientId: { type: String, index: true },
  templateId: String,
  templateData: Schema.Types.Mixed,
  cost: { type: Number, default: 0 },
  size: { type: Number, required: true },
  tags: Schema.Types.Mixed,
  customData: Schema.Types.Mixed,
}, {
  timestamps: true,
  toJSON: { virtuals: true }
})

EmailLogSchema.index({ category: 1, status: 1, createdAt: -1 })
EmailLogSchema.index({ userId: 1, createdAt: -1 })
EmailLogSchema.index({ 'events.type': 1, 'events.timestamp': -1 })

const FileSchema = new Schema({
  key: {
    type: String,
    required: true,
    unique: true,
    index: true
  },
  fileName: {
    type: String,
    required: true
  },
  originalName: {
    type: String,
    required: true
  },
  contentType: {
    type: String,
    required: true
  },
  size: {
    type: Number,
    required: true
  },
  category: {
    type: String,
    enum: ['email', 'document', 'avatar', 'contract', 'invoice', 'backup', 'general'],
    required: true,
    index: true
  },
  status: {
    type: String,
    enum: ['uploading', 'completed', 'failed', 'deleted'],
    default: 'uploading',
    index: true
  },
  isPublic: {
    type: Boolean,
    default: false
  },
  userId: {
    type: String,
    required: true,
    index: true
  },
  clientId: {
    type: String,
    index: true
  },
  departmentId: {
    type: String,
    index: true
  },
  metadata: {
    uploadedBy: { type: String, required: true },
    ipAddress: String,
    userAgent: String,
    checksum: String,
    tags: [String]
  },
  s3Info: {
    bucket: { type: String, required: true },
    region: { type: String, required: true },
    etag: String,
    versionId: String
  },
  access: {
    downloadCount: { type: Number, default: 0 },
    lastAccessed: Date,
    expiresAt: Date
  }
}, {
  timestamps: true,
  toJSON: { virtuals: true }
})

FileSchema.index({ userId: 1, category: 1, status: 1 })
FileSchema.index({ status: 1, createdAt: -1 })
FileSchema.index({ 'metadata.tags': 1 })
FileSchema.index({ departmentId: 1, createdAt: -1 })

const models = {
  EmailLog: mongoose.model('EmailLog', EmailLogSchema),
  File: mongoose.model('File', FileSchema),
}

async function main () {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const items = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  const out = []
  for (const item of items) {
    const errors = {}
    try {
      await new models[item.model](item.doc).validate()
    } catch (err) {
      for (const [path, e] of Object.entries(err.errors || { '': err })) {
        errors[path] = e.message
      }
    }
    out.push({ name: item.name, errors })
  }
  process.stdout.write(JSON.stringify({ mongoose: mongoose.version, results: out }))
}

main().catch((err) => { console.error(err); process.exit(1) })
