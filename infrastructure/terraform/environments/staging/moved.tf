# State addresses from before the platform module: the environments called the modules themselves (module.<name>).
# These blocks let such a state follow without replacing anything; on a new state they do nothing. The services
# module holds no resources.

moved {
  from = module.iam
  to   = module.platform.module.iam
}

moved {
  from = module.vpc
  to   = module.platform.module.vpc
}

moved {
  from = module.s3
  to   = module.platform.module.s3
}

moved {
  from = module.rds
  to   = module.platform.module.rds
}

moved {
  from = module.documentdb
  to   = module.platform.module.documentdb
}

moved {
  from = module.msk
  to   = module.platform.module.msk
}

moved {
  from = module.redis
  to   = module.platform.module.redis
}

moved {
  from = module.ecs
  to   = module.platform.module.ecs
}

moved {
  from = module.cloudfront
  to   = module.platform.module.cloudfront
}

moved {
  from = module.monitoring
  to   = module.platform.module.monitoring
}
